"""The `atelier` command: serve, worker, generate, train, benchmark, models."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app
    from atelier.settings import get_settings

    settings = get_settings()
    host = args.host or settings.host
    port = args.port or settings.port
    mode = f"distributed (Redis {settings.redis_url})" if settings.distributed else f"embedded (data in {settings.data_dir})"
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"Atelier is starting in {mode} mode: http://{shown}:{port}/  (API docs: http://{shown}:{port}/docs)",
          flush=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level=args.log_level.lower())
    return 0


def _worker(args: argparse.Namespace) -> int:
    from atelier.settings import get_settings

    if not get_settings().redis_url:
        print("atelier worker needs ATELIER_REDIS_URL (distributed mode); `atelier serve` alone runs jobs "
              "in-process.", file=sys.stderr)
        return 2
    from worker.celery_app import QUEUE_NAME, app

    argv = ["worker", f"--loglevel={args.log_level}", f"--concurrency={args.concurrency}", f"--queues={QUEUE_NAME}",
            f"--pool={args.pool}", "--prefetch-multiplier=1", "--without-gossip", "--without-mingle"]
    if args.hostname:
        argv.append(f"--hostname={args.hostname}")
    app.worker_main(argv=argv)
    return 0


def _generate(args: argparse.Namespace) -> int:
    from atelier.errors import AtelierError
    from atelier.settings import get_settings
    from models.registry import Registry
    from worker.generate import generate_images
    from worker.runtime import ModelCache

    settings = get_settings()
    seed = args.seed
    if seed is None:
        import secrets

        seed = secrets.randbelow(2**32)
    try:
        model = ModelCache(Registry(settings.model_dirs), device=args.device or settings.device).get(args.model)
        out = generate_images(model, seed=seed, count=args.count, class_name=args.class_name,
                              truncation=args.truncation)
    except AtelierError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(args.count - 1)))
    for image in out.images:
        path = args.out / f"{args.model}-{image.index:0{width}d}-s{image.seed}.png"
        path.write_bytes(image.png)
        print(path)
    return 0


def _models(args: argparse.Namespace) -> int:
    from atelier.settings import get_settings
    from models.registry import Registry

    registry = Registry(get_settings().model_dirs)
    rows = registry.all()
    if not rows:
        print("no models found in", ", ".join(map(str, get_settings().model_dirs)))
        return 1
    for m in rows:
        metrics = ", ".join(f"{k}={v}" for k, v in sorted(m.metrics.items()) if not isinstance(v, (dict, list)))
        print(f"{m.id:<16} {m.kind:<10} v{m.version:<8} {m.description}")
        if m.classes:
            print(f"{'':<16} classes: {', '.join(m.classes)}")
        if metrics:
            print(f"{'':<16} metrics: {metrics}")
    return 0


def _delegated(subparsers: argparse._SubParsersAction, name: str, module: str, help_text: str) -> None:
    p = subparsers.add_parser(name, help=help_text, add_help=False)  # --help goes to the module's parser
    p.set_defaults(module=module, prog=f"{subparsers._prog_prefix} {name}", about=help_text)


def _run_module(args: argparse.Namespace, rest: list[str]) -> int:
    """Hand the remaining arguments to the module's own parser (`add_arguments(parser)` + `run(args)`)."""
    import importlib

    mod = importlib.import_module(args.module)
    parser = argparse.ArgumentParser(prog=args.prog, description=args.about)
    mod.add_arguments(parser)
    return int(mod.run(parser.parse_args(rest)) or 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="atelier", description="Atelier: generate images with our GANs and "
                                     "repair photos. Settings come from ATELIER_* environment variables.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="run the web app (embedded mode unless ATELIER_REDIS_URL is set)",
                       description="Run the web app and REST API. Without ATELIER_REDIS_URL jobs run in a background "
                       "worker inside this process; with it, jobs go to Celery workers (`atelier worker`).")
    p.add_argument("--host", help="address to bind (default ATELIER_HOST or 127.0.0.1; 0.0.0.0 exposes it)")
    p.add_argument("--port", type=int, help="port (default ATELIER_PORT or 8000)")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.set_defaults(func=_serve)

    p = sub.add_parser("worker", help="run a Celery worker for distributed mode",
                       description="A thin wrapper over `celery -A worker.celery_app worker --queues=atelier "
                       "--prefetch-multiplier=1`; needs ATELIER_REDIS_URL.")
    p.add_argument("--concurrency", type=int, default=1, help="jobs run at once (processes); 1 per GPU is typical")
    p.add_argument("--pool", default="prefork", choices=["prefork", "solo", "threads"], help="Celery pool type")
    p.add_argument("--hostname", help="Celery node name, e.g. gpu1@%%h")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.set_defaults(func=_worker)

    p = sub.add_parser("generate", help="generate images locally, one PNG per image",
                       description="Generate images in this process (no server needed). Files are named "
                       "<model>-<index>-s<seed>.png so they sort by index; each carries its parameters.")
    p.add_argument("--model", required=True, help="model id, see `atelier models`")
    p.add_argument("--seed", type=int, help="seed of the first image (image i uses seed+i); default random")
    p.add_argument("--count", type=int, default=1, help="number of images (default 1)")
    p.add_argument("--class", dest="class_name", help="class to draw, e.g. 7 (default: from each seed)")
    p.add_argument("--truncation", type=float, default=1.0, help="truncation psi in (0, 1] (default 1)")
    p.add_argument("--device", help="cpu, cuda, cuda:1 (default: CUDA if present)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.set_defaults(func=_generate)

    p = sub.add_parser("models", help="list the models this installation serves")
    p.set_defaults(func=_models)

    # Training and benchmarks import torch; they are delegated to their modules' own parsers so that
    # `atelier serve` and `atelier --help` start without it.
    p = sub.add_parser("train", help="train a network (`atelier train gan --help`)",
                       description="Train one of Atelier's networks.")
    trainers = p.add_subparsers(dest="trainer", required=True, metavar="WHAT")
    _delegated(trainers, "gan", "models.training.gan", "train a GAN: the digits generator or the MLP baseline")

    p = sub.add_parser("benchmark", help="measure models against baselines; writes docs/BENCHMARKS.md",
                       description="Measure a model against baselines in one run and record the table.")
    benches = p.add_subparsers(dest="benchmark", required=True, metavar="WHAT")
    _delegated(benches, "digits", "models.evaluation.digits_benchmark",
               "Fréchet distance and class accuracy of the digits generator vs real data and an MLP GAN")
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if getattr(args, "module", None):
        return _run_module(args, rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
