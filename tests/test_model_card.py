"""The model card written at training time describes the model it sits beside."""

from __future__ import annotations


def test_model_card_holds_the_metrics_of_its_model(trained):
    card = (trained.model_dir / "MODEL_CARD.md").read_text("utf-8")
    metrics = trained.metrics
    assert f"{metrics['macro']['f1']:.3f}" in card
    for label, m in metrics["labels"].items():
        assert f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |" in card
        assert f"{trained.metadata['thresholds'][label]:.2f} |" in card
    for heading in ("## Intended uses & limitations", "## Training data", "## Evaluation results",
                    "## Identity-term check", "## Versions"):
        assert heading in card
    assert "Prevent referral" in card
