"""`rag`: build the index, ask questions, serve the chat page, evaluate.

Every command goes through the same Pipeline the page uses. Errors a person can act on are printed
as one line with a non-zero exit status, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from pathlib import Path

from ..config import Settings, checkout
from ..errors import QuestionError, RagError
from ..query.analyse import prepare_question
from ..query.conversation import Conversation

EXIT_ERROR = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake on one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _int_in(low: int, high: int | None = None):
    """An argparse type: a whole number within [low, high]."""

    def parse(value: str) -> int:
        try:
            n = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
        if n < low or (high is not None and n > high):
            bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise argparse.ArgumentTypeError(f"expected a number {bound}, got {n}")
        return n

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rag", description="Cited, extractive question answering over Vietnamese news articles."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def store_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument("--store", type=Path, metavar="DIR", help="index folder (default: vectorstore/)")

    p = sub.add_parser("index", help="build or refresh the index from the articles")
    p.add_argument("--seeds", type=Path, metavar="DIR", help="articles folder (default: seeds/)")
    store_opt(p)
    p.add_argument("--rebuild", action="store_true", help="embed every article again")
    p.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="on Ray: a local cluster, or the one at ADDRESS (`auto`, or host:port of `ray start --head`)",
    )
    p.add_argument(
        "--workers", type=_int_in(1, 100_000), metavar="N", help="--ray: workers (default: its CPUs)"
    )
    p.add_argument(
        "--resume", action="store_true", help="--ray: keep the shards an interrupted build finished"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("add", help="add web pages (links) or files to seeds/, and index them")
    p.add_argument("--seeds", type=Path, metavar="DIR", help="articles folder (default: seeds/)")
    store_opt(p)
    p.add_argument(
        "item", nargs="+", metavar="URL_OR_FILE", help="http(s) links to download once, or files to copy"
    )

    p = sub.add_parser("ask", help="answer questions, with citations")
    store_opt(p)
    p.add_argument("--top-k", type=_int_in(1, 100), metavar="N", help="passages retrieved (default: 5)")
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    p.add_argument("--source", action="append", metavar="NAME", help="only articles of this source")
    p.add_argument("--since", metavar="DATE", help="only articles from DATE on (2023-01-01, 2023-05, 2023)")
    p.add_argument("--until", metavar="DATE", help="only articles dated up to DATE, included")
    p.add_argument(
        "--conversation",
        action="store_true",
        help="with `-`: the lines are turns of one conversation, an empty line starting a new one",
    )
    p.add_argument(
        "question", nargs="+", metavar="QUESTION", help="the question; `-` reads one a line from stdin"
    )

    p = sub.add_parser("chat", help="a conversation in the terminal (/new starts over, Ctrl-D leaves)")
    store_opt(p)
    p.add_argument("--top-k", type=_int_in(1, 100), metavar="N", help="passages retrieved (default: 5)")

    p = sub.add_parser("serve", help="serve the chat page")
    store_opt(p)
    p.add_argument("--seeds", type=Path, metavar="DIR", help="where additions are kept (default: seeds/)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_int_in(1, 65535), default=7860)
    p.add_argument("--allow-uploads", action="store_true", help="let the page add articles (files, links)")
    p.add_argument(
        "--admin-password", metavar="PASSWORD", help="needed to add or remove articles (or RAG_ADMIN_TOKEN)"
    )

    p = sub.add_parser("eval", help="measure retrieval and answers on a question set")
    p.add_argument(
        "file", type=Path, metavar="FILE", help="SQuAD-format JSON, or JSONL of {question, answers, source}"
    )
    store_opt(p)
    p.add_argument("--limit", type=_int_in(1), metavar="N", help="only the first N questions")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--strip-diacritics", action="store_true", help="ask every question without diacritics")
    p.add_argument(
        "--split",
        choices=["all", "tune", "report"],
        default="all",
        help="SQuAD sets: the half of the articles used for tuning, or the other half",
    )
    p.add_argument(
        "--unanswerable",
        action="store_true",
        help="ask the questions against --store (default: vectorstore/), where none is answerable",
    )
    p.add_argument("--details", type=Path, metavar="FILE", help="write one JSON line per question")
    p.add_argument(
        "--after-unrelated",
        action="store_true",
        help="SQuAD sets: ask each question right after one about another article, in one conversation",
    )

    p = sub.add_parser("bench", help="measure build and question costs against a plain LangChain script")
    p.add_argument(
        "--sizes", default="seeds,1000", metavar="LIST", help="seeds,1000,5000,22644 (default: seeds,1000)"
    )
    p.add_argument(
        "--steps",
        default="build,add,query,cold",
        metavar="LIST",
        help="build,add,query,cold (and lexical: BM25 alone)",
    )
    p.add_argument(
        "--backend", default="onnx-int8", help="embedding backend of the engine (default: onnx-int8)"
    )
    p.add_argument("--no-baseline", action="store_true", help="skip the LangChain baseline")
    p.add_argument("--questions", type=_int_in(5, 5000), default=100, metavar="N", help="questions per size")
    p.add_argument(
        "--embed", metavar="LIST", help="also compare backends on embedding alone, e.g. torch,onnx,onnx-int8"
    )
    p.add_argument("--embed-chunks", type=_int_in(16), default=192, metavar="N", help="chunks for --embed")
    p.add_argument("--work", type=Path, metavar="DIR", help="stores and results.json (default: cache folder)")
    p.add_argument(
        "--resume", action="store_true", help="continue an interrupted build instead of rebuilding"
    )
    p.add_argument("--report", action="store_true", help="only print the table of the results so far")
    p.add_argument(
        "--ray",
        action="store_true",
        help="the build only: local against Ray at --ray-workers, side by side (sizes: 1000,5000 ...)",
    )
    p.add_argument(
        "--ray-workers", default="1,2", metavar="LIST", help="--ray: Ray worker counts (default: 1,2)"
    )
    p.add_argument("--rounds", type=_int_in(1, 20), default=1, metavar="N", help="--ray: rounds (medians)")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return Settings().with_(store_dir=getattr(args, "store", None), seeds_dir=getattr(args, "seeds", None))


def cmd_index(args: argparse.Namespace) -> int:
    from ..pipeline import build_index

    settings = _settings(args)
    ray = None
    if args.ray is not None:
        from ..store.ray_backend import RaySettings

        ray = RaySettings(args.ray or None, args.workers, settings.ray_shard_articles, resume=args.resume)
    elif args.workers or args.resume:
        raise RagError("--workers and --resume go with --ray (a local build resumes by itself)")
    result = build_index(settings, rebuild=args.rebuild, show_progress=not args.quiet, ray=ray)
    report = result.report
    if report.full_rebuild_reason and not report.up_to_date and report.full_rebuild_reason != "new store":
        print(f"note: every article embedded ({report.full_rebuild_reason})", file=sys.stderr)
    print(report.summary())
    if result.problems:
        print(f"{len(result.problems)} file(s) skipped; see the warnings above", file=sys.stderr)
    return 0


def _questions(words: list[str], conversation: bool = False) -> list[str]:
    """The questions to ask; in a conversation an empty line (kept as "") starts a new one."""
    if words == ["-"]:
        lines = [line.strip() for line in sys.stdin]
        return lines if conversation else [line for line in lines if line]
    return [" ".join(words)]


def _print_answer(answer) -> None:
    print(f"Hỏi: {answer.question}")
    if answer.standalone and answer.standalone != answer.question:
        print(f"Hiểu là: {answer.standalone}")
    if answer.notice:
        print(f"({answer.notice})")
    print(f"Đáp: {answer.text}")
    if answer.abstained:
        print("Các đoạn gần nhất:")
        for h in answer.hits[:3]:
            print(f"  - {h.article.title} ({h.article.path}): {h.chunk.text[:160]}...")
    for c in answer.citations:
        date = f", {c.date[:10]}" if c.date else ""
        page = f", trang {c.page}" if c.page else ""
        span = f"[{c.passage_start + c.start}:{c.passage_start + c.end}]"
        print(f"[{c.n}] {c.title}{date} - {c.source}{page} {span}")
        print(f"    {c.context + ': ' if c.context else ''}“{c.quote}”")
        if c.url:
            print(f"    {c.url}")
    print(f"({answer.seconds:.2f} s)")


def cmd_add(args: argparse.Namespace) -> int:
    from ..library import Library
    from ..models import load_embedder
    from ..pipeline import check_store_model

    settings = _settings(args)
    links = [x for x in args.item if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", x)]
    files = [Path(x) for x in args.item if x not in links]
    if missing := [f for f in files if not f.is_file()]:
        raise RagError(f"no file {missing[0]}: give http(s) links or existing files")
    check_store_model(settings)
    library = Library(settings, load_embedder(settings))
    report = library.add([(f.name, f) for f in files], links, log=_stderr_line)
    for o in report.outcomes:
        if o.added:
            print(f"added: {o.title} ({o.given} -> {settings.seeds.name}/{o.path})")
        else:
            print(f"rag: not added: {o.reason}", file=sys.stderr)
    if report.build is not None:
        print(report.build.summary())
    return 0 if all(o.added for o in report.outcomes) else EXIT_ERROR


def cmd_ask(args: argparse.Namespace) -> int:
    from ..pipeline import Pipeline
    from ..query.filters import Filters

    if args.conversation and args.question != ["-"]:
        raise RagError("--conversation reads its turns from stdin: pass `-` as the question")
    questions = _questions(args.question, args.conversation)
    if not questions or (args.conversation and not any(questions)):
        raise RagError("no question given: pass a question, or `-` and one question a line on stdin")
    if len(questions) == 1:  # fail fast on a bad single question, before loading the model
        prepare_question(questions[0], Settings().max_question_chars)
    filters = Filters.parse(args.source, args.since, args.until)
    pipeline = Pipeline.open(_settings(args))
    conversation = Conversation(pipeline.ask)
    status = 0
    for i, q in enumerate(questions):
        if not q:  # an empty line: the next turn starts a new conversation
            conversation.new()
            continue
        try:
            answer = (
                conversation.ask(q, top_k=args.top_k, filters=filters)
                if args.conversation
                else pipeline.ask(q, top_k=args.top_k, filters=filters)
            )
        except QuestionError as exc:
            status = EXIT_ERROR
            if args.json:
                print(json.dumps({"question": q, "error": str(exc)}, ensure_ascii=False), flush=True)
            else:
                print(f"rag: error: {exc}", file=sys.stderr)
            continue
        if answer.notice:
            print(f"rag: note: {answer.notice}", file=sys.stderr)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
        else:
            if i:
                print()
            _print_answer(answer)
    return status


def cmd_chat(args: argparse.Namespace) -> int:
    """`rag chat`: one conversation in the terminal; follow-ups are completed from it."""
    import readline  # noqa: F401 - line editing and history for input()

    from ..pipeline import Pipeline

    pipeline = Pipeline.open(_settings(args))
    conversation = Conversation(pipeline.ask)
    print("Hỏi đáp tin tức: hỏi bằng tiếng Việt, có dấu hay không dấu.")
    print("/new: cuộc trò chuyện mới; Ctrl-D: thoát.")
    while True:
        try:
            question = input("\nBạn: ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            continue
        if question in ("/new", "/moi", "/mới"):
            conversation.new()
            print("(cuộc trò chuyện mới)")
            continue
        try:
            answer = conversation.ask(question, top_k=args.top_k)
        except QuestionError as exc:
            print(f"rag: {exc}")
            continue
        _print_answer(answer)


def cmd_serve(args: argparse.Namespace) -> int:
    from ..pipeline import Pipeline
    from .ui import serve

    pipeline = Pipeline.open(_settings(args))
    library, password = None, args.admin_password or pipeline.settings.admin_token
    if args.allow_uploads:
        from ..library import Library

        library = Library(pipeline.settings, pipeline.embedder, allow_private_links=False)
        if password is None and args.host not in ("127.0.0.1", "localhost", "::1"):
            print(
                f"rag: note: anyone who reaches {args.host}:{args.port} can add and remove articles; "
                "set --admin-password or RAG_ADMIN_TOKEN",
                file=sys.stderr,
            )
    serve(pipeline, host=args.host, port=args.port, library=library, password=password)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from ..eval.runner import run_eval

    return run_eval(
        args.file,
        _settings(args),
        store=args.store,
        limit=args.limit,
        as_json=args.json,
        strip_diacritics=args.strip_diacritics,
        split=args.split,
        unanswerable=args.unanswerable,
        details=args.details,
        after_unrelated=args.after_unrelated,
    )


def _bench_tooling():
    """benchmarks/bench/ of the checkout this package runs from: benchmark tooling is not installed."""
    root = checkout()
    if root is None or not (root / "benchmarks" / "bench" / "__init__.py").is_file():
        where = f"{root} has no benchmarks/bench/" if root else "this rag is installed, not a checkout"
        raise RagError(f"`rag bench` runs from a checkout of rag-vi ({where}): clone it and run `make setup`")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import importlib

    return importlib.import_module("benchmarks.bench")


def cmd_bench(args: argparse.Namespace) -> int:
    bench = _bench_tooling()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if unknown := [s for s in sizes if s not in bench.SIZES]:
        raise RagError(f"unknown benchmark size {unknown[0]!r}: choose from {', '.join(bench.SIZES)}")
    if args.ray:
        return _bench_ray(args, sizes)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    if bad := [s for s in steps if s not in ("build", "add", "query", "cold", "lexical", "none")]:
        raise RagError(
            f"unknown benchmark step {bad[0]!r}: choose from build, add, query, cold, lexical, none"
        )
    cfg = bench.BenchConfig(
        sizes=sizes,
        backend=args.backend,
        baseline=not args.no_baseline,
        questions=args.questions,
        steps=steps,
        embed_backends=[b.strip() for b in (args.embed or "").split(",") if b.strip()],
        embed_chunks=args.embed_chunks,
        resume=args.resume,
    )
    if args.work:
        cfg.work = args.work.resolve()
    results = (
        bench.Results(cfg.work / "results.json") if args.report else bench.run_bench(cfg, log=_stderr_line)
    )
    print(bench.table(results, cfg.backend))
    print(f"(results: {results.path})")
    return 0


def _bench_ray(args: argparse.Namespace, sizes: list[str]) -> int:
    from benchmarks.bench import ray_build  # on the path: `_bench_tooling` found the checkout

    if "seeds" in sizes:
        raise RagError("rag bench --ray measures corpus sizes: choose from 1000, 5000, 22644")
    try:
        modes = [0] + [int(w) for w in args.ray_workers.split(",") if w.strip()]
    except ValueError:
        raise RagError(f"--ray-workers takes whole numbers, e.g. 1,2 (not {args.ray_workers!r})") from None
    if any(w < 1 for w in modes[1:]):
        raise RagError(f"--ray-workers takes whole numbers of 1 or more (not {args.ray_workers!r})")
    work = (args.work or Settings().cache_dir / "bench-ray").resolve()
    rows = ray_build.run([int(s) for s in sizes], modes, args.rounds, work, log=_stderr_line)
    print(ray_build.table(rows))
    print(f"(results: {work / 'ray-results.json'})")
    return 0


def _stderr_line(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


COMMANDS = {
    "index": cmd_index,
    "add": cmd_add,
    "ask": cmd_ask,
    "chat": cmd_chat,
    "serve": cmd_serve,
    "eval": cmd_eval,
    "bench": cmd_bench,
}


def main(argv: list[str] | None = None) -> int:
    # Module loggers speak on stderr: warnings, and the traceback of a bug (InternalError) before its line.
    logging.basicConfig(format="%(name)s: %(levelname)s: %(message)s", level=logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except RagError as exc:
        print(f"rag: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
