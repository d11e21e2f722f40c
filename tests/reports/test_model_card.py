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
    # Both ways the model misreads people: neutral mentions scored up, threats without insults scored down.
    assert "one-line report" in card and "short threat that names a group" in card


def test_model_card_says_a_model_file_is_read_through_the_allow_list(trained):
    card = (trained.model_dir / "MODEL_CARD.md").read_text("utf-8")
    loading = card.split("## Loading safely", 1)[1]
    assert "runs code" not in loading  # the allow-list refuses a file that asks for a function before it runs
    assert "reads it through an allow-list of classes" in loading and "refused before anything in it runs" in loading
    assert "Still load only models you trained yourself or got from someone you trust" in loading


def test_model_card_says_what_needs_review_catches(trained):
    card = (trained.model_dir / "MODEL_CARD.md").read_text("utf-8")
    review = trained.metadata["review_flag"]
    assert f"flags {review['flagged']} of the {review['n']} test reports" in card
    assert f"They hold {review['wrong_flagged']} of the {review['wrong']} reports" in card


def test_model_card_has_the_identity_suite_table(trained):
    card = (trained.model_dir / "MODEL_CARD.md").read_text("utf-8")
    suite = trained.metadata["identity_suite"]
    overall = suite["overall"]
    assert "## Identity-term test suite" in card
    assert (f"| false-positive rate on neutral and positive sentences | {overall['false_positive_rate']:.1%} "
            f"({overall['false_positives']} of {overall['n_non_hostile']}) |") in card
    assert f"| highest false-positive rate of one term | {overall['max_term_fpr']:.1%} " in card
    for group, g in suite["groups"].items():
        assert f"| {group} | {g['false_positive_rate']:.1%} | {g['max_term_fpr_term']} " in card
    worst = suite["worst_terms"]["false_positive_rate"][0]
    assert f"Highest false-positive rates: {worst['term']} {worst['value']:.1%}" in card


def test_model_card_has_the_held_out_identity_probe_beside_the_suite(trained):
    card = (trained.model_dir / "MODEL_CARD.md").read_text("utf-8")
    probe = trained.metadata["identity_probe"]
    overall = probe["overall"]
    assert card.index("## Identity-term test suite") < card.index("## Held-out identity probe")
    assert (f"False-positive rate {overall['false_positive_rate']:.1%} ({overall['false_positives']} of "
            f"{overall['n_non_hostile']} neutral and positive sentences") in card
    assert "not part of the fairness gate" in card
    for group, g in probe["groups"].items():
        assert f"| {group} | {g['false_positive_rate']:.1%} | {g['max_term_fpr_term']} " in card


def test_model_card_of_a_model_trained_before_the_probe_has_the_suite_only(trained):
    from classifier.reports.model_card import render_model_card

    metadata = {key: value for key, value in trained.metadata.items() if key != "identity_probe"}
    card = render_model_card(metadata)
    assert "## Identity-term test suite" in card and "Held-out identity probe" not in card


def test_model_card_without_identity_suite_figures_still_renders(trained):
    from classifier.reports.model_card import render_model_card

    metadata = {key: value for key, value in trained.metadata.items()
                if key not in ("identity_suite", "identity_probe")}  # a model trained before either existed
    card = render_model_card(metadata)
    assert "Identity-term test suite" not in card and "Held-out identity probe" not in card


def test_model_card_names_the_labels_the_second_stage_rescores(trained):
    from classifier.reports.model_card import render_model_card

    rescored = trained.metadata["second_stage_labels"]
    assert rescored and set(rescored) <= {"immigration", "race_hate", "religious_hate"}
    card = render_model_card(trained.metadata)
    assert f"Then {', '.join(f'`{label}`' for label in rescored)} are scored again by a second stage" in card
    linear_only = render_model_card({**trained.metadata, "second_stage_labels": []})
    assert "second stage" not in linear_only and "second stage" not in render_model_card(
        {key: value for key, value in trained.metadata.items() if key != "second_stage_labels"})


def test_model_card_says_which_reports_got_no_counterfactual_copy(trained):
    from classifier.reports.model_card import render_model_card

    assert trained.metadata["not_copied"] == {"reports": 0, "labels": {}}
    assert "were not copied" not in render_model_card(trained.metadata)
    card = render_model_card({**trained.metadata, "not_copied": {"reports": 57, "labels": {"antisemitism": 57}}})
    assert "57 such reports were not copied" in card and "(`antisemitism`)" in card
