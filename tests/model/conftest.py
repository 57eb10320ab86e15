"""Small simulated shops for the model tests, built once per session.

Fraud rates are raised well above the shop's so a few hundred orders hold
enough fraud to train and evaluate on; the figures are not the sample's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

RATES = {"stolen_card": 0.05, "card_testing": 0.03, "reshipper": 0.02, "fraud_ring": 0.02,
         "account_takeover": 0.02, "friendly_fraud": 0.01}


@pytest.fixture(scope="session")
def sim_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """900 simulated orders over 90 days with their outcomes and ground truth."""
    from fraud.simulate import simulate

    folder = tmp_path_factory.mktemp("sim")
    sim = simulate(900, days=90, seed=3, rates=RATES)
    files = {"orders": folder / "orders.jsonl.gz", "outcomes": folder / "outcomes.jsonl.gz",
             "truth": folder / "truth.csv.gz"}
    sim.write(files["orders"])
    sim.write_outcomes(files["outcomes"])
    sim.write_truth(files["truth"])
    return files


@pytest.fixture(scope="session")
def raw(sim_files: dict[str, Path]):  # noqa: ANN201 - RawData
    from fraud.model.dataset import load_files

    return load_files(sim_files["orders"], sim_files["outcomes"], source="sim")


@pytest.fixture(scope="session")
def dataset(raw):  # noqa: ANN001, ANN201 - Dataset
    """Features through the online pipeline, labels as of the last event, rule scores."""
    from fraud.model.dataset import LabelPolicy, build_dataset
    from fraud.rules import load_rules
    from fraud.settings import Settings

    policy = LabelPolicy(raw.last_event_time())
    return build_dataset(raw, policy, Settings(), rules=load_rules(None))


@pytest.fixture(scope="session")
def fitted(dataset):  # noqa: ANN001, ANN201 - (FraudModel, train mask, valid mask)
    """A small FraudModel trained on the earlier weeks of ``dataset``."""
    from fraud.model.dataset import default_split
    from fraud.model.estimator import FraudModel, catalogue_kinds

    split = default_split(dataset.created_at, gap_days=7, valid_days=21)
    train, valid = split.masks(dataset.created_at)
    rows = train & dataset.labelled
    model = FraudModel(catalogue_kinds(dataset.feature_names), n_estimators=40)
    model.fit(dataset.X(rows), dataset.label[rows].to_numpy().astype(int))
    return model, train, valid
