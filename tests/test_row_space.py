"""The regression fitted in its training rows' span is the regression a direct fit gives (bot/nlu/row_space.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import random as sparse_random
from scipy.sparse import vstack
from sklearn.linear_model import LogisticRegression

from bot.nlu.row_space import fit_in_row_space


def problem(samples: int, features: int, classes: int, seed: int = 7):  # type: ignore[no-untyped-def]
    """Sparse counts like n-grams, with labels the features partly explain, and new rows to predict."""
    rng = np.random.default_rng(seed)
    X = sparse_random(samples + 40, features, density=0.05, format="csr", random_state=seed, data_rvs=lambda n: rng.integers(1, 4, n))
    truth = rng.normal(size=(features, classes))
    labels = np.array([f"intent_{i}" for i in np.asarray((X @ truth).argmax(axis=1)).ravel()])
    return X[:samples], labels[:samples], X[samples:]


def regression(**settings) -> LogisticRegression:  # type: ignore[no-untyped-def]
    return LogisticRegression(max_iter=2000, class_weight="balanced", tol=1e-8, random_state=42, **settings)


@pytest.mark.parametrize("classes, C", [(6, 1.0), (2, 1.0), (6, 10.0)])
def test_the_fit_in_the_row_space_predicts_as_the_direct_fit(classes: int, C: float) -> None:
    X, y, new = problem(samples=120, features=900, classes=classes)
    direct = regression(C=C).fit(X, y)
    through_rows = fit_in_row_space(regression(C=C), X, y)
    assert through_rows.coef_.shape == direct.coef_.shape and through_rows.n_features_in_ == 900
    assert list(through_rows.classes_) == list(direct.classes_)
    np.testing.assert_allclose(through_rows.predict_proba(new), direct.predict_proba(new), atol=1e-4)
    np.testing.assert_allclose(through_rows.coef_, direct.coef_, atol=1e-3 * np.abs(direct.coef_).max())
    np.testing.assert_allclose(through_rows.intercept_, direct.intercept_, atol=1e-3)


def test_rows_that_repeat_each_other_are_fitted_all_the_same() -> None:
    """Repeated training rows leave the rows' span smaller than their number: those directions are dropped."""
    X, y, new = problem(samples=60, features=500, classes=3)
    X, y = vstack([X, X]).tocsr(), np.concatenate([y, y])
    direct = regression().fit(X, y)
    np.testing.assert_allclose(fit_in_row_space(regression(), X, y).predict_proba(new), direct.predict_proba(new), atol=1e-4)


def test_with_more_examples_than_features_it_is_the_direct_fit() -> None:
    X, y, new = problem(samples=300, features=40, classes=3)
    np.testing.assert_allclose(
        fit_in_row_space(regression(), X, y).predict_proba(new), regression().fit(X, y).predict_proba(new), atol=1e-9
    )
