"""The paper's ablations in miniature (experiments.ablations) and the library options they need."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import smooth_pairs
from p2plib import losses, metrics, models, training
from p2plib.experiments import ablations
from p2plib.tools import cli, report

SIZE = 32


def tiny_generator(seed=0):
    keras.utils.set_random_seed(seed)
    return models.unet_generator(SIZE, base_filters=4, dropout=False)


def generator_gradients(generator, discriminator, inputs, targets, training=True,
                        **loss_options):
    inputs, targets = tf.constant(inputs), tf.constant(targets)
    with tf.GradientTape() as tape:
        generated = generator(inputs, training=training)
        fake_logits = discriminator([inputs, generated], training=training)
        total, gan, l1 = losses.generator_loss(fake_logits, generated, targets, **loss_options)
    step_losses = {"gen_total": total, "gen_gan": gan, "gen_l1": l1}
    return step_losses, tape.gradient(total, generator.trainable_variables)


def largest(gradients):
    return max(float(tf.reduce_max(tf.abs(gradient))) for gradient in gradients)


# ------------------------------------------------ library options the ablations need


def test_gan_weight_scales_only_the_adversarial_term():
    rng = np.random.default_rng(0)
    logits = tf.constant(rng.normal(size=(2, 4, 4, 1)), tf.float32)
    generated, target = (tf.constant(rng.uniform(-1, 1, (2, 8, 8, 3)), tf.float32)
                         for _ in range(2))
    total, gan, l1 = losses.generator_loss(logits, generated, target, 100.0)
    half_total, half_gan, half_l1 = losses.generator_loss(
        logits, generated, target, 100.0, gan_weight=0.5
    )
    np.testing.assert_allclose(half_gan, gan)
    np.testing.assert_allclose(half_l1, l1)
    np.testing.assert_allclose(half_total, 0.5 * gan + 100.0 * l1, rtol=1e-6)
    np.testing.assert_allclose(total - half_total, 0.5 * gan, atol=1e-4)  # float32 totals ~100


@pytest.mark.parametrize("bad", [-1.0, float("nan"), "strong", None])
def test_a_bad_gan_weight_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="gan_weight"):
        losses.check_gan_weight(bad)
    with pytest.raises(ValueError, match="gan_weight"):
        training.Pix2Pix(tiny_generator(), models.patchgan_discriminator(
            SIZE, base_filters=4, n_layers=1)).compile(gan_weight=bad)


def test_l1_alone_gives_the_generator_no_adversarial_gradient():
    inputs, targets = smooth_pairs(2, seed=1)
    generator = tiny_generator(seed=2)
    discriminator = models.patchgan_discriminator(SIZE, base_filters=4, n_layers=1)
    step_losses, with_gan = generator_gradients(
        generator, discriminator, inputs, targets, training=False
    )
    _, l1_only = generator_gradients(
        generator, discriminator, inputs, targets, training=False, gan_weight=0.0
    )
    _, pure_l1 = generator_gradients(
        generator, discriminator, inputs, targets, training=False, gan_weight=0.0,
        l1_weight=1.0,
    )
    assert float(step_losses["gen_gan"]) > 0.1  # there is an adversarial term to drop
    for l1_gradient, pure_gradient in zip(l1_only, pure_l1, strict=True):
        np.testing.assert_allclose(l1_gradient, 100.0 * pure_gradient, rtol=1e-4, atol=1e-7)
    assert max(float(tf.reduce_max(tf.abs(a - b)))
               for a, b in zip(with_gan, l1_only, strict=True)) > 1e-6


def test_cgan_alone_gives_the_generator_no_l1_gradient():
    inputs, targets = smooth_pairs(2, seed=3)
    generator = tiny_generator(seed=4)
    discriminator = models.patchgan_discriminator(SIZE, base_filters=4, n_layers=1)
    step_losses, gradients = generator_gradients(
        generator, discriminator, inputs, targets, training=False, l1_weight=0.0
    )
    np.testing.assert_allclose(step_losses["gen_total"], step_losses["gen_gan"], rtol=1e-6)
    assert float(step_losses["gen_l1"]) > 0.05
    assert largest(gradients) > 0


def test_unconditional_discriminator_takes_the_image_alone():
    conditional = models.patchgan_discriminator(SIZE, base_filters=4, n_layers=1)
    unconditional = models.patchgan_discriminator(
        SIZE, base_filters=4, n_layers=1, conditional=False
    )
    assert len(conditional.inputs) == 2 and len(unconditional.inputs) == 1
    assert unconditional.inputs[0].shape[1:] == (SIZE, SIZE, 3)
    assert unconditional.output.shape == conditional.output.shape
    # Same receptive field as the conditional PatchGAN of the same depth.
    assert models.receptive_field(unconditional) == models.receptive_field(conditional) == 16


def test_unconditional_discriminator_judges_targets_and_outputs_alone():
    inputs, targets = smooth_pairs(2, seed=5)
    generator = tiny_generator(seed=6)
    keras.utils.set_random_seed(7)
    discriminator = models.patchgan_discriminator(
        SIZE, base_filters=4, n_layers=1, conditional=False
    )
    model = training.Pix2Pix(generator, discriminator, test_mode="inference")
    model.compile()
    logs = model.test_on_batch(inputs, targets, return_dict=True)
    generated = generator(inputs, training=False)
    expected = losses.discriminator_loss(
        discriminator(targets, training=False), discriminator(generated, training=False)
    )
    np.testing.assert_allclose(logs["disc_loss"], expected, rtol=1e-5)


def test_pix2pix_trains_with_an_unconditional_discriminator_and_no_gan_term():
    inputs, targets = smooth_pairs(2, seed=8)
    model = training.Pix2Pix(tiny_generator(seed=9), models.patchgan_discriminator(
        SIZE, base_filters=4, n_layers=1, conditional=False))
    model.compile(gan_weight=0.0)
    assert model.get_compile_config()["gan_weight"] == 0.0
    before = [np.array(w) for w in model.discriminator.trainable_variables]
    logs = model.train_on_batch(inputs, targets, return_dict=True)
    np.testing.assert_allclose(logs["gen_total"], 100.0 * logs["gen_l1"], rtol=1e-5)
    after = model.discriminator.trainable_variables
    # The discriminator still learns (its loss is reported), it just no longer steers G.
    assert max(float(np.max(np.abs(a - np.array(b)))) for a, b in zip(before, after,
                                                                      strict=True)) > 0


# --------------------------------------------------------------------- experiments.ablations


def test_every_table_is_complete_and_every_setting_fills_a_row():
    names = [setting.name for setting in ablations.SETTINGS]
    assert len(names) == len(set(names))
    used = {name for rows in ablations.TABLES.values() for _, name in rows}
    assert used == set(names)
    assert set(ablations.TABLES) == {"losses", "generator", "discriminator"}
    for table, rows in ablations.TABLES.items():
        assert len(rows) == 4
        paper_rows = ablations.PAPER_SCORES[table]
        assert all(label in paper_rows for label, _ in rows), table
    # The one run that every table shares: U-Net, L1 + cGAN, the 70x70-equivalent PatchGAN.
    shared = [{name for _, name in rows} for rows in ablations.TABLES.values()]
    assert set.intersection(*shared) == {"l1_cgan"}


def test_each_setting_builds_its_own_networks_and_loss_weights():
    scale = ablations.QUICK_SCALE.with_changes(base_filters=2)
    for setting in ablations.SETTINGS:
        model = training.build_model(ablations.at_scale(setting, scale))
        skips = [layer for layer in model.generator.layers
                 if isinstance(layer, keras.layers.Concatenate)]
        assert bool(skips) == (setting.generator == "unet"), setting.name
        assert len(model.discriminator.inputs) == (2 if setting.conditional else 1)
        config = model.get_compile_config()
        assert (config["l1_weight"], config["gan_weight"]) == (
            setting.l1_weight, setting.gan_weight), setting.name
    by_name = {setting.name: setting for setting in ablations.SETTINGS}
    assert by_name["l1"].gan_weight == 0 and by_name["l1"].l1_weight == 100
    assert by_name["cgan"].l1_weight == 0 and by_name["cgan"].gan_weight == 1
    assert not by_name["l1_gan"].conditional


def test_a_setting_at_a_scale_takes_the_scale_and_keeps_its_own_choices():
    setting = ablations.at_scale(ablations.setting_named("encoder_decoder_l1"),
                                 ablations.QUICK_SCALE, seed=7)
    assert (setting.image_size, setting.base_filters, setting.total_steps, setting.seed) == (
        ablations.QUICK_SCALE.image_size, ablations.QUICK_SCALE.base_filters,
        ablations.QUICK_SCALE.total_steps, 7)
    assert (setting.generator, setting.gan_weight) == ("encoder-decoder", 0.0)


def test_scaled_discriminators_have_the_stated_receptive_fields():
    # narrow copies measure the same field
    scale = ablations.FULL_SCALE.with_changes(base_filters=2)
    fields = {}
    for label, name in ablations.TABLES["discriminator"]:
        setting = ablations.at_scale(ablations.setting_named(name), scale)
        _, discriminator = training.build_networks(setting)
        fields[label] = models.receptive_field(discriminator)
    # At 128x128, half the paper's size: 70 and 286 halved, 1 and 16 as small as they get.
    assert fields == {"1x1": 1, "16x16": 16, "70x70": 34, "286x286": 142}
    assert scale.image_size == 128


def test_an_unknown_setting_is_refused_with_the_choices(capsys):
    with pytest.raises(ValueError, match="l1_cgan"):
        ablations.setting_named("l2")
    with pytest.raises(SystemExit):
        cli.main(["ablations", "--quick", "--only", "l2", "--out", "/nonexistent/never.json"])
    assert "invalid choice: 'l2'" in capsys.readouterr().err


def test_one_setting_end_to_end_writes_an_entry_with_every_column(tmp_path):
    out = tmp_path / "ablations.json"
    results = ablations.run_all(ablations.QUICK_SCALE, out, tmp_path / "samples", names=["l1_gan"],
                                log=None, test_count=4, sample_count=2)
    written = json.loads(out.read_text())
    assert written == json.loads(json.dumps(results))
    assert written["complete"] and written["test_pairs"] == 4
    (entry,) = written["settings"]
    assert entry["name"] == "l1_gan" and entry["conditional"] is False
    assert entry["receptive_field"] == 34
    assert entry["steps"] == ablations.QUICK_SCALE.total_steps
    assert set(entry["scores"]) == set(ablations.SCORE_NAMES)
    assert all(np.isfinite(value) for value in entry["scores"].values())
    assert 0 <= entry["scores"]["pixel_accuracy"] <= 1 and entry["scores"]["l1"] > 0
    assert set(written["ground_truth"]) == set(metrics.SEGMENTATION_SCORE_NAMES)
    assert len(entry["losses"]["gen_l1"]) == ablations.QUICK_SCALE.epochs
    tiles = report.load_image_row(tmp_path / "samples" / entry["samples"])
    size = ablations.QUICK_SCALE.image_size
    assert len(tiles) == 2 and tiles[0].shape == (size, size, 3)
    table = ablations.markdown_table(written, "losses")
    labels = [line.split("|")[1].strip() for line in table.splitlines()[2:]]
    assert labels == ["L1+GAN", "Ground truth"]  # only the settings that ran, then the truth


def test_seeds_are_summarised_as_mean_and_sample_sd():
    entries = [{"name": "l1", "seed": seed, "scores": {"pixel_accuracy": value, "l1": 0.3}}
               for seed, value in enumerate([0.80, 0.84, 0.88])]
    summary = ablations.summarise(entries)["l1"]
    assert summary["pixel_accuracy"]["mean"] == pytest.approx(0.84)
    assert summary["pixel_accuracy"]["sd"] == pytest.approx(0.04)  # ddof=1
    assert summary["pixel_accuracy"]["values"] == [0.80, 0.84, 0.88]
    assert summary["l1"]["sd"] == 0.0


def test_the_street_tables_run_with_two_seeds_and_show_error_bars(tmp_path):
    scale = ablations.QUICK_SCALE.with_changes(dataset="synthetic-streets", image_size=32)
    out = tmp_path / "ablations-streets.json"
    results = ablations.run_all(scale, out, tmp_path / "samples", names=["l1"], log=None,
                                test_count=4, sample_count=2, seeds=[0, 1], data_dir=tmp_path)
    assert results["dataset"] == "synthetic-streets" and results["seeds"] == [0, 1]
    assert [entry["seed"] for entry in results["settings"]] == [0, 1]
    first, second = (entry["scores"] for entry in results["settings"])
    assert first != second  # two seeds, two different runs
    summary = results["summary"]["l1"]["l1"]
    assert summary["mean"] == pytest.approx((first["l1"] + second["l1"]) / 2, abs=1e-4)
    assert summary["sd"] > 0
    assert (tmp_path / "samples" / "l1.png").is_file()
    assert (tmp_path / "samples" / "l1-seed1.png").is_file()
    row = ablations.markdown_table(json.loads(out.read_text()), "generator").splitlines()[2]
    assert row.startswith("| U-Net (L1) |") and " ± " in row
    assert results["segmenter"]["dataset"] == "synthetic-streets"
    # streets have cars: their colour spread is recorded for every run and the real renders
    assert {"car_colour_spread", "car_saturation"} <= set(first)
    assert results["ground_truth"]["car_colour_spread"] > 0
    assert "Car colour spread" in ablations.markdown_table(results, "losses")


def test_a_claim_holds_only_beyond_the_error_bars():
    def runs(name, values, spread=None):
        return [{"name": name, "seed": seed, "scores": {
            "pixel_accuracy": value, **({"car_colour_spread": spread} if spread else {})}}
            for seed, value in enumerate(values)]

    settings = (runs("l1_cgan", [0.80, 0.84, 0.88], 0.08) + runs("l1", [0.60, 0.62, 0.64], 0.02)
                + runs("pixelgan", [0.78, 0.82, 0.86]))  # means 0.84, 0.62 and 0.82; sd 0.04
    results = {"settings": settings}
    assert ablations.beyond_error_bars(results, "l1_cgan", "l1")  # 0.22 > 0.04 + 0.02
    assert not ablations.beyond_error_bars(results, "l1_cgan", "pixelgan")  # 0.02 < 0.08
    claims = ablations.paper_claims(results)
    assert claims["L1+cGAN beats L1 alone (per-pixel)"] is True
    assert claims["70x70 beats 1x1"] is False
    assert claims["L1+cGAN paints cars in more colours than L1 (the streets' design intent)"]
    assert "70x70 beats 286x286" not in claims  # no such run: no verdict
    assert "L1+cGAN beats L1 alone (class IoU)" not in claims  # no such score
