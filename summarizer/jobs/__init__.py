"""One article or many: inputs, output paths, manifest, resume.

A run reads documents in bounded windows (memory stays flat however large the folder),
hands each window to the Summarizer so that their sentences share model batches, renders
each result in the output format and writes it whole or not at all (or hands it to
`emit`). A folder run records in OUTDIR/manifest.jsonl what became of each input, and a
rerun skips the documents whose output is current. One file goes through the same steps
as a window of one; its failure is raised instead of recorded.

paths.py decides what is read and where each output goes, manifest.py what a folder run
records and how a rerun knows an output is current, local.py runs the windows in this
process (the executor; a cluster one would sit beside it).

>>> plan = plan_run(["articles/"], Path("english/"), "text")
>>> run_plan(summarizer, plan, RunOptions(summarize=False), progress=Progress(0), emit=print)
"""

from summarizer.errors import OutputError
from summarizer.jobs.digest import DIGEST_CSV, DIGEST_MARKDOWN, write_digest
from summarizer.jobs.inputs import read_input_list, url_relatives
from summarizer.jobs.local import run, run_plan, windows
from summarizer.jobs.manifest import (
    JOURNAL,
    MANIFEST,
    Manifest,
    Row,
    content_fingerprint,
    run_fingerprint,
)
from summarizer.jobs.paths import (
    DEFAULT_GLOBS,
    Job,
    Plan,
    check_inputs,
    check_single_output,
    check_writable,
    find_inputs,
    is_single,
    matches,
    names_folder,
    output_names,
    plan_jobs,
    plan_run,
)

__all__ = [
    "DEFAULT_GLOBS",
    "DIGEST_CSV",
    "DIGEST_MARKDOWN",
    "JOURNAL",
    "MANIFEST",
    "Job",
    "Manifest",
    "OutputError",
    "Plan",
    "Row",
    "check_inputs",
    "check_single_output",
    "check_writable",
    "content_fingerprint",
    "find_inputs",
    "is_single",
    "matches",
    "names_folder",
    "output_names",
    "plan_jobs",
    "plan_run",
    "read_input_list",
    "run",
    "run_fingerprint",
    "run_plan",
    "url_relatives",
    "windows",
    "write_digest",
]
