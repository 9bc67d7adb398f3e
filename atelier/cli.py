"""The `atelier` command: serve, worker, generate, interpolate, variations, restore, upscale, train, data,
benchmark, models."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Callable

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _registry(settings):  # noqa: ANN001, ANN202 — atelier.settings.Settings -> models.registry.Registry
    """The shipped models and those trained from your images (worker/user_models.py), as the server sees them."""
    from worker.user_models import open_registry, open_user_models

    return open_registry(settings, open_user_models(settings))


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
    from worker.celery_app import app

    argv = ["worker", f"--loglevel={args.log_level}", f"--concurrency={args.concurrency}",
            f"--queues={','.join(args.queues)}", f"--pool={args.pool}", "--prefetch-multiplier=1", "--without-gossip",
            "--without-mingle"]
    if args.hostname:
        argv.append(f"--hostname={args.hostname}")
    app.worker_main(argv=argv)
    return 0


def _generate(args: argparse.Namespace) -> int:
    from atelier.errors import AtelierError
    from atelier.settings import get_settings
    from worker.generate import generate_images
    from worker.runtime import ModelCache

    settings = get_settings()
    seed = args.seed
    if seed is None:
        import secrets

        seed = secrets.randbelow(2**32)
    try:
        model = ModelCache(_registry(settings), device=args.device or settings.device).get(args.model)
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


def _queue_list(text: str) -> list[str]:
    """`atelier,atelier-train` -> both queues; an unknown name is refused (a worker on a misspelt queue would wait
    for ever on a queue nobody publishes to)."""
    from worker.routing import QUEUES

    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in QUEUES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(QUEUES)}; got {text!r}")
    return list(dict.fromkeys(names))


def _seed_class(text: str) -> tuple[int, str | None]:
    """`3:7` -> seed 3, class "7"; `3` -> seed 3, class from the seed."""
    seed, _, cls = text.partition(":")
    try:
        return int(seed), (cls or None)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SEED or SEED:CLASS, e.g. 3:7; got {text!r}") from None


def _explore(args: argparse.Namespace) -> int:
    """`atelier interpolate` and `atelier variations`: the job code run in this process, files written to --out."""
    from atelier.errors import AtelierError
    from atelier.settings import get_settings
    from worker import explore
    from worker.runtime import ModelCache

    settings = get_settings()
    try:
        model = ModelCache(_registry(settings), device=args.device or settings.device).get(args.model)
        if model.info.kind != "generator":
            raise AtelierError(f"model {args.model!r} is a {model.info.kind} model, not a generator")
        if args.command == "interpolate":
            start, end = ({"seed": s, "class": explore.default_class(model, s, c)} for s, c in (args.start, args.end))
            out = explore.interpolate(model, start=start, end=end, frames=args.frames, truncation=args.truncation,
                                      ease=args.ease, pingpong=args.pingpong)
            stem = f"{args.model}-s{start['seed']}-to-s{end['seed']}"
            extras = {f"{stem}-strip.png": out.summary_png, f"{stem}.webp": out.animation}
        else:
            import secrets

            vseed = args.variation_seed if args.variation_seed is not None else secrets.randbelow(2**32)
            cls = explore.default_class(model, args.seed, args.class_name)
            out = explore.variations(model, seed=args.seed, class_name=cls, count=args.count, strength=args.strength,
                                     variation_seed=vseed, truncation=args.truncation)
            stem = f"{args.model}-s{args.seed}-var"
            extras = {f"{stem}-grid.png": out.summary_png} if args.count > 1 else {}
    except AtelierError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(out.images) - 1)))
    files = {f"{stem}-{im.index:0{width}d}.png": im.png for im in out.images}
    for name, data in {**files, **extras}.items():
        (args.out / name).write_bytes(data)  # type: ignore[arg-type]
        print(args.out / name)
    return 0


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"}


def _input_output_pairs(src: Path, dst: Path) -> tuple[list[Path], list[Path]] | None:
    """IN and OUT of the file-or-folder commands: a folder's images map to <OUT>/<stem>.png, a file to OUT (or
    into OUT when it is a folder). None, after saying why on stderr, when there is nothing to read."""
    if src.is_dir():
        inputs = sorted(p for p in src.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not inputs:
            print(f"error: no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {src}", file=sys.stderr)
            return None
        dst.mkdir(parents=True, exist_ok=True)
        return inputs, [dst / f"{p.stem}.png" for p in inputs]
    if src.is_file():
        return [src], [dst / f"{src.stem}.png" if dst.is_dir() else dst]
    print(f"error: {src} does not exist", file=sys.stderr)
    return None


def _for_each_file(inputs: list[Path], outputs: list[Path], *, desc: str, unit: str,
                   work: Callable[[Path, Path], None]) -> int:
    """Run work(input, output) for each pair behind a progress bar (for a folder); a bad file is reported and
    skipped, not fatal. Exit status 1 if any failed."""
    from tqdm import tqdm

    from atelier.errors import AtelierError

    failures = 0
    bar = tqdm(list(zip(inputs, outputs)), desc=desc, unit=unit, disable=len(inputs) == 1)
    for path, out in bar:
        try:
            work(path, out)
        except (AtelierError, OSError) as exc:
            failures += 1
            message = exc.message if isinstance(exc, AtelierError) else str(exc)
            print(f"error: {path}: {message}", file=sys.stderr)
            continue
        if len(inputs) > 1:
            bar.write(str(out))  # keeps the progress bar intact
        else:
            print(out)
    return 1 if failures else 0


def _restore(args: argparse.Namespace) -> int:
    """Files or folders in, repaired PNGs out; models are loaded once for a whole folder."""
    from atelier.errors import AtelierError
    from atelier.settings import get_settings
    from models.registry import Registry
    from worker.photo_io import decode_mask, decode_photo, encode_photo
    from worker.restore import TASK_MODELS, encode_mask, provenance_for, restore_photo
    from worker.runtime import ModelCache

    settings = get_settings()
    pairs = _input_output_pairs(args.input, args.output)
    if pairs is None:
        return 2
    inputs, outputs = pairs
    try:
        cache = ModelCache(Registry(settings.model_dirs), device=args.device or settings.device)
        nets = {m: cache.get(m) for m in TASK_MODELS[args.task]}
    except AtelierError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2

    def repair(path: Path, out: Path) -> None:
        photo = decode_photo(path.read_bytes(), max_pixels=settings.max_pixels)
        mask_path = args.mask if args.mask else (_matching_mask(args.mask_dir, path) if args.mask_dir else None)
        mask = decode_mask(mask_path.read_bytes(), size=photo.size, max_pixels=settings.max_pixels) \
            if mask_path else None
        restored = restore_photo(args.task, photo, mask, sigma=args.sigma, nets=nets, quality=args.quality)
        result, used = restored.image, restored.mask
        prov = provenance_for(args.task, nets, sigma=args.sigma, image_sha256=None, mask_sha256=None,
                              quality=args.quality, noise_level=restored.shown_level)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(encode_photo(photo, result, prov))
        if args.save_mask and used is not None:
            mask_out = args.save_mask / f"{path.stem}.png" if len(inputs) > 1 or args.save_mask.is_dir() \
                else args.save_mask
            mask_out.parent.mkdir(parents=True, exist_ok=True)
            mask_out.write_bytes(encode_mask(used, prov))

    return _for_each_file(inputs, outputs, desc=args.task, unit="photo", work=repair)


def _upscale(args: argparse.Namespace) -> int:
    """Files or folders in, upscaled PNGs out (source's bit depth, alpha, ICC profile and metadata kept)."""
    import hashlib

    from atelier.settings import get_settings
    from worker.photo_io import decode_photo
    from worker.upscale import check_scale, encode_upscaled, provenance_for, source_provenance, upscale_photo

    settings = get_settings()
    pairs = _input_output_pairs(args.input, args.output)
    if pairs is None:
        return 2
    inputs, outputs = pairs

    def upscale(path: Path, out: Path) -> None:
        data = path.read_bytes()
        photo = decode_photo(data, max_pixels=settings.max_pixels)
        check_scale(args.scale, photo.size, max_pixels=settings.max_pixels)
        big = upscale_photo(photo, args.scale, args.method)
        prov = provenance_for(args.method, args.scale, width=big.size[0], height=big.size[1],
                              image_sha256=hashlib.sha256(data).hexdigest(), source=source_provenance(data))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(encode_upscaled(big, prov))

    return _for_each_file(inputs, outputs, desc=f"x{args.scale}", unit="image", work=upscale)


def _matching_mask(folder: Path, image: Path) -> Path | None:
    """The mask for photo.jpg is folder/photo.<any image suffix>."""
    for candidate in sorted(folder.glob(f"{image.stem}.*")):
        if candidate.suffix.lower() in IMAGE_SUFFIXES:
            return candidate
    return None


def _models(args: argparse.Namespace) -> int:
    from atelier.settings import get_settings

    registry = _registry(get_settings())
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
        if m.preview_path:
            print(f"{'':<16} preview: {m.preview_path}")
    return 0


def _models_preview(args: argparse.Namespace) -> int:
    """Draw a generator's sample grid (models/preview.py) and write it, by default beside its weights."""
    from atelier.errors import AtelierError
    from atelier.settings import get_settings
    from models.preview import write_preview
    from worker.runtime import ModelCache

    try:
        model = ModelCache(_registry(get_settings()), device=args.device).get(args.model)
        if model.info.kind != "generator":
            print(f"error: model {args.model!r} is a {model.info.kind} model; only generators have previews",
                  file=sys.stderr)
            return 2
        path = write_preview(model.net, model.info, out=args.out, device=model.device)
    except (AtelierError, OSError) as exc:
        print(f"error: {exc.message if isinstance(exc, AtelierError) else exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


def _models_delete(args: argparse.Namespace) -> int:
    """Delete a model trained from your images (worker/user_models.py delete_user_model); shipped ones are kept."""
    from atelier.errors import AtelierError, NotFound
    from atelier.settings import get_settings
    from worker.user_models import delete_user_model, open_registry, open_user_models

    settings = get_settings()
    space = open_user_models(settings)
    try:
        delete_user_model(open_registry(settings, space), space, args.model)
    except AtelierError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1 if isinstance(exc, NotFound) else 2
    print(f"deleted model {args.model}")
    return 0


def _delegated(subparsers: argparse._SubParsersAction, name: str, module: str, help_text: str,
               leading: tuple[str, ...] = ()) -> None:
    """`leading` arguments are put before the user's (e.g. the task name a shared trainer expects)."""
    p = subparsers.add_parser(name, help=help_text, add_help=False)  # --help goes to the module's parser
    p.set_defaults(module=module, prog=f"{subparsers._prog_prefix} {name}", about=help_text, leading=leading)


def _run_module(args: argparse.Namespace, rest: list[str]) -> int:
    """Hand the remaining arguments to the module's own parser (`add_arguments(parser)` + `run(args)`)."""
    import importlib

    from models.entrypoint import module_main

    mod = importlib.import_module(args.module)
    return module_main(mod.add_arguments, mod.run, prog=args.prog, description=args.about,
                       argv=[*args.leading, *rest])


def _add_sampling_options(p: argparse.ArgumentParser) -> None:
    """What generate, interpolate and variations share: truncation, device and the output folder."""
    p.add_argument("--truncation", type=float, default=1.0, help="truncation psi in (0, 1] (default 1)")
    p.add_argument("--device", help="cpu, cuda, cuda:1 (default: CUDA if present)")
    p.add_argument("--out", type=Path, required=True, help="output folder")


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

    from worker.routing import LONG_KINDS, LONG_QUEUE, QUEUES, QUICK_QUEUE

    p = sub.add_parser("worker", help="run a Celery worker for distributed mode",
                       description="A thin wrapper over `celery -A worker.celery_app worker "
                       f"--queues={','.join(QUEUES)} --prefetch-multiplier=1`; needs ATELIER_REDIS_URL. On SIGTERM "
                       "it hands its running job back to the queue (a training job resumes from its checkpoint) "
                       "and exits.")
    p.add_argument("--queues", type=_queue_list, default=list(QUEUES), metavar="QUEUE[,QUEUE]",
                   help=f"queues to take jobs from: {LONG_QUEUE} ({', '.join(sorted(LONG_KINDS))} jobs) and "
                   f"{QUICK_QUEUE} (every other job); default both, so one worker does everything")
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
    _add_sampling_options(p)
    p.set_defaults(func=_generate)

    p = sub.add_parser("interpolate", help="frames between two seeds, a frame strip and an animated WebP",
                       description="Interpolate between two images of one model in this process: spherical "
                       "interpolation of the latents, classes blended in embedding space. Writes each frame "
                       "(<model>-s<A>-to-s<B>-<index>.png, with the metadata that re-creates it), the frame strip "
                       "(-strip.png) and a looped animated WebP (.webp).")
    p.add_argument("--model", required=True, help="model id, see `atelier models`")
    p.add_argument("--from", dest="start", type=_seed_class, required=True, metavar="SEED[:CLASS]",
                   help="first frame, e.g. 3:7 (class from the seed when left out)")
    p.add_argument("--to", dest="end", type=_seed_class, required=True, metavar="SEED[:CLASS]", help="last frame")
    p.add_argument("--frames", type=int, default=16, help="frames including both ends (default 16)")
    p.add_argument("--ease", default="linear", choices=["linear", "smoothstep"], help="frame timing")
    p.add_argument("--pingpong", action="store_true", help="the animation plays forwards then backwards")
    _add_sampling_options(p)
    p.set_defaults(func=_explore)

    p = sub.add_parser("variations", help="small variations of one image",
                       description="Variations of the image of --seed (and --class): each latent is the source's "
                       "turned --strength of the way towards its own noise (slerp); variation i uses noise seed "
                       "--variation-seed + i. Files: <model>-s<seed>-var-<index>.png, and a -grid.png.")
    p.add_argument("--model", required=True, help="model id, see `atelier models`")
    p.add_argument("--seed", type=int, required=True, help="seed of the source image")
    p.add_argument("--class", dest="class_name", help="its class (default: from the seed, as `generate` does)")
    p.add_argument("--count", type=int, default=8, help="number of variations (default 8)")
    p.add_argument("--strength", type=float, default=0.3, help="0 = the source, 1 = unrelated (default 0.3)")
    p.add_argument("--variation-seed", type=int, help="noise seed of the first variation (default random)")
    _add_sampling_options(p)
    p.set_defaults(func=_explore)

    p = sub.add_parser("restore", help="repair photos locally: denoise, inpaint or auto",
                       description="Repair a photo or a folder of photos in this process. Outputs are PNGs named "
                       "like their inputs, at the input's bit depth, with alpha and ICC profile kept.")
    p.add_argument("task", choices=["denoise", "inpaint", "auto"], help="what to do")
    p.add_argument("input", type=Path, help="a photo, or a folder of photos")
    p.add_argument("output", type=Path, help="output file, or folder (created) for a folder input")
    p.add_argument("--sigma", type=float, help="noise level / strength, 0-255 scale (default: blind)")
    p.add_argument("--quality", choices=["standard", "high"], default="standard",
                   help="high: every network on the 8 flips and rotations of the photo, averaged (about 8x the "
                        "time, measurably better; docs/BENCHMARKS.md). Default: standard, one pass")
    masks = p.add_mutually_exclusive_group()
    masks.add_argument("--mask", type=Path, help="mask for a single photo (white = repair)")
    masks.add_argument("--mask-dir", type=Path, help="folder of masks matched to photos by file name")
    p.add_argument("--save-mask", type=Path, help="auto: write the detected damage mask here (file or folder)")
    p.add_argument("--device", help="cpu, cuda, cuda:1 (default: CUDA if present)")
    p.set_defaults(func=_restore)

    p = sub.add_parser("upscale", help="upscale images x2, x3, x4 or x8 (ibp-tv: back-projection + TV prior)",
                       description="Upscale an image or a folder of images in this process with `ibp-tv` (Lanczos-3, "
                       "then iterative back-projection with a total-variation prior; docs/BENCHMARKS.md#upscaling). "
                       "Outputs are PNGs named like their inputs, at the input's bit depth, alpha and ICC profile "
                       "kept, with method, scale and the source's own metadata in their text chunk.")
    p.add_argument("input", type=Path, help="an image, or a folder of images")
    p.add_argument("output", type=Path, help="output file, or folder (created) for a folder input")
    p.add_argument("--scale", type=int, default=4, choices=[2, 3, 4, 8], help="how many times larger (default 4)")
    p.add_argument("--method", default="ibp-tv", choices=["ibp-tv", "lanczos", "bicubic", "bilinear", "nearest"],
                   help="ibp-tv (default), or a plain filter to compare with")
    p.set_defaults(func=_upscale)

    p = sub.add_parser("models", help="list the models this installation serves; `models preview ID` draws a "
                       "generator's sample grid, `models delete ID` deletes one trained from your images",
                       description="List the models this installation serves.")
    p.set_defaults(func=_models)
    actions = p.add_subparsers(dest="models_action", metavar="ACTION")
    q = actions.add_parser("preview", help="draw a generator's sample grid from fixed seeds",
                           description="Draw a generator's preview, the sample grid the generate page shows: one row "
                           "per class (up to 10) by 8 seeds, or 4 x 8 for an unconditional model, truncation 1.0. "
                           "Written beside the model's weights as <id>.preview.png unless --out says otherwise.")
    q.add_argument("model", help="model id, see `atelier models`")
    q.add_argument("--out", type=Path, help="where to write the PNG (default: <weights folder>/<id>.preview.png)")
    q.add_argument("--device", default="cpu", help="torch device (default cpu, so shipped previews are "
                   "reproducible anywhere)")
    q.set_defaults(func=_models_preview)
    q = actions.add_parser("delete", help="delete a model trained from your images",
                           description="Delete a model trained from your images (`atelier train images`, or the "
                           "studio's Train page): its manifest, weights and preview go, and its id is free again. "
                           "Shipped models cannot be deleted. Exit status 1 for an unknown id, 2 for a shipped one.")
    q.add_argument("model", help="model id, see `atelier models`")
    q.set_defaults(func=_models_delete)

    # Training and benchmarks import torch; they are delegated to their modules' own parsers so that
    # `atelier serve` and `atelier --help` start without it.
    p = sub.add_parser("train", help="train a network (`atelier train gan --help`)",
                       description="Train one of Atelier's networks.")
    trainers = p.add_subparsers(dest="trainer", required=True, metavar="WHAT")
    _delegated(trainers, "gan", "models.training.gan",
               "train a GAN on digits, calligraphy, emoji or fashion (--dataset), or the MLP baseline")
    _delegated(trainers, "images", "atelier.train_cli",
               "train a generator on your own images (a folder or .zip) and register it as a model")
    for task, what in (("denoise", "the colour denoiser (Gaussian, impulse, grain, JPEG; blind or given sigma)"),
                       ("inpaint", "the inpainter (strokes, blobs and boxes covering up to 40 percent)"),
                       ("detect", "the old-photo damage detector (scratches, dust, specks, blotches, tears)")):
        _delegated(trainers, task, "models.training.restore", f"train {what}", leading=(task,))

    _delegated(sub, "data", "models.datasets.fetch", "fetch and cache a training data set from its Debian "
               "package (`atelier data fetch calligraphy|emoji|fashion|all`), or draw a contact sheet of it")

    p = sub.add_parser("benchmark", help="measure models against baselines; writes docs/BENCHMARKS.md",
                       description="Measure a model against baselines in one run and record the table.")
    benches = p.add_subparsers(dest="benchmark", required=True, metavar="WHAT")
    _delegated(benches, "digits", "models.evaluation.digits_benchmark",
               "Fréchet distance and class accuracy of the digits generator vs real data and an MLP GAN")
    _delegated(benches, "restore", "models.evaluation.restore_benchmark",
               "denoise / inpaint / auto repair vs CBM3D, NLM, median, TELEA, NS, biharmonic, top-hat pipeline")
    _delegated(benches, "art", "models.evaluation.art_benchmark",
               "calligraphy / emoji / fashion generators vs real data and an MLP GAN: FD and precision / recall "
               "on EfficientNet-Lite0 features, class accuracy")
    _delegated(benches, "upscale", "models.evaluation.upscale_benchmark",
               "ibp-tv upscaling vs nearest, bicubic and Lanczos on held-out emoji and glyphs (PSNR, SSIM, ms)")
    _delegated(benches, "training-speed", "models.evaluation.training_speed",
               "seconds per training step of the shipped networks in float32 vs --precision bf16")
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    from pydantic import ValidationError

    from atelier.settings import get_settings

    try:
        get_settings()  # validated once at start-up: a bad ATELIER_* value is reported, not a traceback
    except ValidationError as exc:
        for err in exc.errors():
            name = "ATELIER_" + "_".join(str(p) for p in err["loc"]).upper()
            print(f"error: {name}: {err['msg']}", file=sys.stderr)
        return 2
    if getattr(args, "module", None):
        return _run_module(args, rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
