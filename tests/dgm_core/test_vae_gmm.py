"""VAE + GMM: the Gibbs sampler against closed-form conjugate posteriors, the Hungarian matching against
a brute-force search over permutations, per-data-point priors (shuffling a batch leaves the loss
unchanged; the original's batch-position indexing does not), and a full mutual-learning run on
separable synthetic "digits" end to end."""
import itertools

import numpy as np
import pytest
import torch
from scipy import stats

from dgm_core.demos import clusters
from dgm_core.models.vae_gmm import (ClusterVAE, Config, GMMState, NWPrior, cluster_accuracy, gibbs_gmm, kept_start,
                                     log_joint_terms, sample_params, tsne_start)
from dgm_core.models.vae_gmm_mutual import mutual_learning


def test_mean_draws_match_the_conjugate_posterior_with_known_precision():
    # one cluster, Lambda known: mu | z ~ N((sum z + beta m) / (N + beta), ((N + beta) Lambda)^-1), m = 0
    rng = np.random.default_rng(0)
    d, n, beta = 3, 40, 2.0
    lam = np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.2], [0.0, 0.2, 0.5]])
    z = rng.multivariate_normal([1.0, -2.0, 0.5], np.linalg.inv(lam), size=n)
    trace = []
    gibbs_gmm(z, 1, 4000, seed=1, prior=NWPrior(beta=beta), fixed_precision=lam, trace=trace)
    mu = np.stack([s.mu[0] for s in trace])
    post_mean = z.sum(0) / (n + beta)
    post_cov = np.linalg.inv((n + beta) * lam)
    se = np.sqrt(np.diag(post_cov) / len(mu))
    assert np.all(np.abs(mu.mean(0) - post_mean) < 5 * se), (mu.mean(0), post_mean)
    # whitened by the true posterior, the draws must have identity covariance (each entry's sd ~ 1/sqrt(n))
    white = (mu - post_mean) @ np.linalg.cholesky(np.linalg.inv(post_cov))
    assert np.abs(np.cov(white.T) - np.eye(d)).max() < 4 / np.sqrt(len(mu)) * np.sqrt(2), np.cov(white.T)


def test_precision_draws_match_the_wishart_posterior_mean():
    # one cluster, Normal-Wishart: E[Lambda | z] = nu_k W_k with the update of MODELS.md §4.1
    rng = np.random.default_rng(2)
    d, n = 2, 30
    prior = NWPrior(alpha=1.0, beta=1.0, w_scale=0.55)
    z = rng.multivariate_normal([0.5, -0.5], [[1.0, 0.4], [0.4, 0.6]], size=n)
    draws = [sample_params(z, np.zeros(n, np.int64), 1, prior, np.random.default_rng(s)).prec[0] for s in range(3000)]
    beta_k, m_k = n + 1.0, z.sum(0) / (n + 1.0)
    w_inv = np.eye(d) / 0.55 + z.T @ z - beta_k * np.outer(m_k, m_k)
    expected = (d + n) * np.linalg.inv(w_inv)
    np.testing.assert_allclose(np.mean(draws, 0), expected, rtol=0.05)


def test_log_joint_terms_are_log_pi_plus_the_gaussian_density():
    rng = np.random.default_rng(3)
    k, d = 3, 4
    a = rng.standard_normal((k, d, d))
    prec = a @ a.transpose(0, 2, 1) + d * np.eye(d)
    state = GMMState(np.array([0.2, 0.5, 0.3]), rng.standard_normal((k, d)), prec, np.zeros(0, np.int64))
    z = rng.standard_normal((5, d))
    want = np.array([[np.log(state.pi[j]) + stats.multivariate_normal.logpdf(zi, state.mu[j], np.linalg.inv(prec[j]))
                      for j in range(k)] for zi in z])
    np.testing.assert_allclose(log_joint_terms(z, state), want, rtol=1e-10, atol=1e-10)


def test_gibbs_separates_well_separated_clusters_and_is_seeded():
    rng = np.random.default_rng(4)
    centres = np.array([[6.0, 0.0], [-6.0, 0.0], [0.0, 6.0]])
    y = np.repeat(np.arange(3), 100)
    z = centres[y] + rng.standard_normal((300, 2))
    a, b = gibbs_gmm(z, 3, 50, seed=7), gibbs_gmm(z, 3, 50, seed=7)
    np.testing.assert_array_equal(a.assign, b.assign)
    assert cluster_accuracy(y, a.assign, 3, 3) == 1.0


def _brute_force_accuracy(labels, clusters, k, n_labels):
    best = 0
    for perm in itertools.permutations(range(max(k, n_labels)), k):  # cluster c -> label perm[c]
        best = max(best, sum(int(perm[c] == lab) for c, lab in zip(clusters, labels)))
    return best / len(labels)


@pytest.mark.parametrize("k,n_labels", [(4, 4), (3, 5), (5, 3)])
def test_hungarian_accuracy_equals_a_brute_force_search(k, n_labels):
    rng = np.random.default_rng(k * 10 + n_labels)
    for _ in range(20):
        labels = rng.integers(0, n_labels, 30)
        clust = np.where(rng.random(30) < 0.6, labels % k, rng.integers(0, k, 30))
        assert cluster_accuracy(labels, clust, k, n_labels) == pytest.approx(
            _brute_force_accuracy(labels, clust, k, n_labels))


def test_each_point_keeps_its_own_prior_when_the_batch_is_shuffled():
    torch.manual_seed(0)
    vae = ClusterVAE(latent=3, hidden=16)
    x = torch.rand(8, 784)
    mu, var = torch.randn(8, 3) * 2, torch.rand(8, 3) + 0.2
    perm = torch.randperm(8)
    with torch.no_grad():
        mean_x, logvar = vae.encode(x)
        from dgm_core.models.vae_gmm import kl_diag
        kl = kl_diag(mean_x, logvar, mu, var)
        kl_perm = kl_diag(*vae.encode(x[perm]), mu[perm], var[perm])
        wrong = kl_diag(*vae.encode(x[perm]), mu, var)  # the original: priors by batch position
    torch.testing.assert_close(kl_perm.sum(), kl.sum())
    torch.testing.assert_close(kl_perm, kl[perm])
    assert not torch.allclose(wrong.sum(), kl.sum())


def test_depth_one_is_the_seeds_784_h_d_network_and_depth_adds_hidden_layers():
    one, two = ClusterVAE(latent=3, hidden=16), ClusterVAE(latent=3, hidden=16, depth=2)
    assert [tuple(p.shape) for p in one.enc.parameters()] == [(16, 784), (16,), (6, 16), (6,)]
    assert [tuple(p.shape) for p in two.dec.parameters()] == [(16, 3), (16,), (16, 16), (16,), (784, 16), (784,)]
    assert two.decode(torch.zeros(2, 3)).shape == (2, 784)


def test_kl_diag_matches_torch_distributions():
    from torch.distributions import Independent, Normal, kl_divergence
    torch.manual_seed(1)
    mq, lq, mp, vp = torch.randn(5, 4), torch.randn(5, 4), torch.randn(5, 4), torch.rand(5, 4) + 0.1
    from dgm_core.models.vae_gmm import kl_diag
    want = kl_divergence(Independent(Normal(mq, (0.5 * lq).exp()), 1), Independent(Normal(mp, vp.sqrt()), 1))
    torch.testing.assert_close(kl_diag(mq, lq, mp, vp), want)


def test_kl_full_matches_torch_distributions_and_the_diagonal_case():
    """A full precision matrix per point (each digit's cluster's): torch's closed form for two multivariate normals,
    and with a diagonal precision the diagonal KL."""
    from torch.distributions import MultivariateNormal, kl_divergence
    from dgm_core.models.vae_gmm import ClusterVAE, kl_diag, kl_full
    g = torch.Generator().manual_seed(2)
    mq, lq, mp = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    a = torch.randn(5, 4, 4, generator=g, dtype=torch.float64)
    prec = (a @ a.transpose(1, 2) + 0.5 * torch.eye(4, dtype=torch.float64)).float()
    want = kl_divergence(MultivariateNormal(mq, torch.diag_embed(lq.exp())),
                         MultivariateNormal(mp, precision_matrix=prec))
    torch.testing.assert_close(kl_full(mq, lq, mp, prec), want, rtol=1e-4, atol=1e-4)
    vp = torch.rand(5, 4, generator=g) + 0.1
    torch.testing.assert_close(kl_full(mq, lq, mp, torch.diag_embed(1 / vp)), kl_diag(mq, lq, mp, vp))
    vae = ClusterVAE(latent=4, hidden=8)  # terms() takes either: variances (B, d) or precisions (B, d, d)
    x = torch.rand(5, 784, generator=g)
    diag = vae.terms(x, mp, vp, torch.Generator().manual_seed(0))
    full = vae.terms(x, mp, torch.diag_embed(1 / vp), torch.Generator().manual_seed(0))
    torch.testing.assert_close(diag, full)


def test_mutual_learning_runs_end_to_end_on_synthetic_digits():
    # 3 "digit" templates plus noise: every round must cluster them nearly perfectly, train and test
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    templates = (torch.rand(3, 784, generator=g) > 0.7).float()
    y = torch.arange(600) % 3
    x = (templates[y] * 0.9 + 0.05 * torch.rand(600, 784, generator=g)).clamp(0, 1)
    cfg = Config(latent=2, hidden=32, k=3, rounds=2, n_shown=50)
    model, hist = mutual_learning(x[:400], y[:400].numpy(), x[400:], y[400:].numpy(), cfg, epochs=5,
                                  gibbs=20, seed=0, tsne=True)
    assert len(hist) == 2 and all(h.test_accuracy > 0.95 for h in hist), hist
    assert model.shown_tsne.abs().sum() > 0 and model.shown_cluster.shape == (2, 2, 50)
    cards = clusters.cluster_cards(model, 1)
    assert len(cards) == 3 and sum(c.size for c in cards) == 50 and cards[0].samples.shape == (6, 28, 28)
    table, order = clusters.confusion(model, 1, 1)
    assert table.sum() == 50 and sorted(order) == [0, 1, 2]


@pytest.mark.parametrize("start", ["previous", "kmeans"])
def test_previous_start_carries_the_assignments_that_made_the_priors(start):
    # no Gibbs sweep at all (gibbs=0): each round's state is its chain's start, so with "previous" round 1
    # holds exactly round 0's clusters (same ids), and with a k-means restart it holds freshly numbered ones
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(1)
    y = torch.arange(300) % 3
    x = ((torch.rand(3, 784, generator=g) > 0.7).float()[y] * 0.9 + 0.05 * torch.rand(300, 784, generator=g))
    cfg = Config(latent=2, hidden=16, k=3, rounds=2, n_shown=40, gibbs_start=start)
    model, _ = mutual_learning(x[:200], y[:200].numpy(), x[200:], y[200:].numpy(), cfg, epochs=1,
                               gibbs=0, seed=0, tsne=False)
    same = torch.equal(model.shown_cluster[1, 0], model.shown_cluster[0, 0])
    assert same == (start == "previous")


def test_an_unknown_gibbs_start_is_an_error():
    with pytest.raises(ValueError, match="gibbs_start"):
        Config(gibbs_start="best")
    with pytest.raises(ValueError, match="first_start"):
        Config(first_start="labels")


@pytest.mark.parametrize("seed", [0, 1])
def test_the_tsne_start_follows_neighbourhoods_that_k_means_cuts_across(seed):
    # two concentric rings: k-means on the coordinates halves the plane (about half right); the t-SNE map keeps
    # each ring's neighbours together, so k-means there finds the rings themselves
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_circles

    x, y = make_circles(400, factor=0.3, noise=0.03, random_state=seed)
    assert cluster_accuracy(y, KMeans(2, n_init=10, random_state=seed).fit_predict(x), 2, 2) < 0.6
    assert cluster_accuracy(y, tsne_start(x, 2, seed), 2, 2) == 1.0


def _three_digits_and_their_tsne_starts(monkeypatch) -> tuple[torch.Tensor, torch.Tensor, list[np.ndarray]]:
    """300 noisy copies of three random binary images (labels y), and the list every t-SNE start of
    mutual_learning is appended to."""
    import dgm_core.models.vae_gmm_mutual as mutual

    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(2)
    y = torch.arange(300) % 3
    x = ((torch.rand(3, 784, generator=g) > 0.7).float()[y] * 0.9 + 0.05 * torch.rand(300, 784, generator=g))
    starts: list[np.ndarray] = []
    monkeypatch.setattr(mutual, "tsne_start", lambda z, k, seed: starts.append(tsne_start(z, k, seed)) or starts[-1])
    return x, y, starts


@pytest.mark.parametrize("first", ["tsne", "kmeans"])
def test_round_zero_starts_from_the_tsne_map_only_when_asked(first, monkeypatch):
    # no Gibbs sweep (gibbs=0): round 0's state is its chain's start, which is the t-SNE start's assignments
    # exactly when first_start is "tsne"
    x, y, starts = _three_digits_and_their_tsne_starts(monkeypatch)
    cfg = Config(latent=2, hidden=16, k=3, rounds=2, n_shown=40, gibbs_start="previous", first_start=first)
    model, _ = mutual_learning(x[:200], y[:200].numpy(), x[200:], y[200:].numpy(), cfg, epochs=1,
                               gibbs=0, seed=0, tsne=False)
    assert len(starts) == (first == "tsne")
    if starts:
        assert np.array_equal(model.shown_cluster[0, 0].numpy(), starts[0][:40])


def test_round_zero_keeps_its_start_when_asked_though_its_chain_would_move(monkeypatch):
    # twenty Gibbs sweeps are allowed, yet with first_chain "start" round 0's clusters are the t-SNE start's own
    x, y, starts = _three_digits_and_their_tsne_starts(monkeypatch)
    cfg = Config(latent=2, hidden=16, k=3, rounds=2, n_shown=40, gibbs_start="previous", first_start="tsne",
                 first_chain="start")
    model, hist = mutual_learning(x[:200], y[:200].numpy(), x[200:], y[200:].numpy(), cfg, epochs=1,
                                  gibbs=20, seed=0, tsne=False)
    assert np.array_equal(model.shown_cluster[0, 0].numpy(), starts[0][:40])
    assert hist[0].train_accuracy == cluster_accuracy(y[:200].numpy(), starts[0], 3)
    with pytest.raises(ValueError, match="first_chain"):
        Config(first_chain="best")


def test_later_rounds_keep_their_tsne_start_when_asked_though_their_chain_would_move(monkeypatch):
    # later_chain "start": the last round's clusters are that round's own t-SNE start, twenty sweeps allowed
    x, y, starts = _three_digits_and_their_tsne_starts(monkeypatch)
    cfg = Config(latent=2, hidden=16, k=3, rounds=2, n_shown=40, gibbs_start="tsne", first_start="tsne",
                 first_chain="start", later_chain="start")
    model, hist = mutual_learning(x[:200], y[:200].numpy(), x[200:], y[200:].numpy(), cfg, epochs=1,
                                  gibbs=20, seed=0, tsne=False)
    assert len(starts) == 2
    assert np.array_equal(model.shown_cluster[1, 0].numpy(), starts[1][:40])
    assert hist[1].train_accuracy == cluster_accuracy(y[:200].numpy(), starts[1], 3)
    with pytest.raises(ValueError, match="later_chain"):
        Config(later_chain="best")


def test_a_kept_start_draws_the_gmm_given_its_clusters():
    # two tight, far-apart clusters (1500 and 500 points): the parameters drawn given the assignments sit at each
    # cluster's mean (posterior sd of a mean well under 0.01) and weight; the assignments are returned unchanged
    rng = np.random.default_rng(0)
    assign = np.repeat([0, 1], [1500, 500])
    z = np.where(assign[:, None] == 0, 3.0, -3.0) + 0.01 * rng.standard_normal((2000, 2))
    state = kept_start(z, 2, assign, seed=0)
    assert np.array_equal(state.assign, assign)
    np.testing.assert_allclose(state.mu, [[3.0, 3.0], [-3.0, -3.0]], atol=0.01)
    np.testing.assert_allclose(state.pi, [0.75, 0.25], atol=0.03)
