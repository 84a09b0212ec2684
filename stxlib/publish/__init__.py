"""`stx publish`: a run's trained model as a Hugging Face Hub repository (model card + upload).

Reads the run folder's files only (like the report); see docs/publishing.md.
"""

from stxlib.publish.folder import PublishFolder, build_folder, upload_folder
from stxlib.publish.licenses import DATA_LICENSES, LicenseChoice, choose_license
from stxlib.publish.run import PublishError, RunForPublishing, read_run

__all__ = [
    "DATA_LICENSES",
    "LicenseChoice",
    "PublishError",
    "PublishFolder",
    "RunForPublishing",
    "build_folder",
    "choose_license",
    "read_run",
    "upload_folder",
]
