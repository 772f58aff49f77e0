"""A fork server for the crash-safety test (tests/test_crash_safety.py).

    python -m tests.crash_driver CONFIG ARTICLE

Loads the models of CONFIG once (importing torch takes seconds; a kill takes none), says
"ready", then serves one request per line on stdin:

    run CACHE_DIR OUTPUT DELAY   fork a child that does what `summarizer summarize ARTICLE
                                 --source-lang fr --format json -o OUTPUT` does (the real
                                 stages, cache and atomic write), SIGKILL it DELAY seconds
                                 after it started unless it has finished (DELAY < 0: never),
                                 and answer "exit CODE SECONDS" (CODE -9: it was killed)

The server kills only its own child, before reaping it, so no other process can be hit.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from pathlib import Path


def main(config_path: str, article_path: str) -> None:
    from summarizer.config import load_config
    from summarizer.engine import load_model
    from summarizer.options import RunOptions
    from summarizer.output import render_json, write_atomically
    from summarizer.pipeline import Summarizer

    config = load_config(config_path)
    models = {}
    for spec in config.models.values():
        models[spec.name] = load_model(spec)
        models[spec.name].count_tokens("Bonjour.")  # loads the weights before any fork
    text = Path(article_path).read_text(encoding="utf-8")
    print("ready", flush=True)

    for line in sys.stdin:
        command, cache_dir, output, delay = line.split()
        assert command == "run", command
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                summarizer = Summarizer(
                    config, cache_dir=cache_dir, model_loader=lambda spec, _: models[spec.name]
                )
                result = summarizer.run(text, RunOptions(source_language="fr"), name=article_path)
                summarizer.close()
                write_atomically(Path(output), render_json(result))
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        deadline = started + float(delay)
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if float(delay) >= 0 and time.monotonic() >= deadline:
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
                break
            time.sleep(0.002)
        seconds = time.monotonic() - started
        print(f"exit {os.waitstatus_to_exitcode(status)} {seconds:.3f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
