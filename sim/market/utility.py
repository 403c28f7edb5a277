"""What an engineer gets from a job, and how it chooses among the jobs it considers.

The utility of engineer i at firm j is

    V_ij = w_pay_i * log(pay_ij)
         + w_gpu_i * g(GPU_j)                      (GPU access, a pull in [0, 1])
         + w_mission_i * (1 - |m_i - M_j|)         (mission fit)
         + sum_k w_ik * A_jk                       (amenities: safety focus, openness)
         + w_outreach_i * contacted_ij             (personal outreach)
         + s * stay_ij                             (switching cost s, paid on leaving)

and the engineer picks among its alternatives (staying included) by a multinomial logit
(McFadden 1974): adding i.i.d. Gumbel noise of scale mu to each V and taking the largest
gives P(j) = exp(V_j / mu) / sum_k exp(V_k / mu).
"""

from __future__ import annotations

import numpy as np

from sim.scenario.schema import Compute


def gpu_pull(gpus: np.ndarray, compute: Compute) -> np.ndarray:
    """The pull g of a GPU stock, in [0, 1].

    sharp:  g = 1[GPU >= T]
    smooth: g = 1 / (1 + (T / GPU)^(1/width)) = logistic((log GPU - log T) / width)
    """
    gpus = np.asarray(gpus, dtype=np.float64)
    if compute.response == "sharp":
        return (gpus >= compute.threshold).astype(np.float64)
    with np.errstate(divide="ignore"):
        z = (np.log(np.maximum(gpus, 1e-300)) - np.log(compute.threshold)) / compute.width
    return 0.5 * (1.0 + np.tanh(z / 2.0))


def mission_fit(preference: np.ndarray, mission: np.ndarray) -> np.ndarray:
    """Mission fit 1 - |m_i - M_j| of an engineer's preference m_i and a firm's mission M_j."""
    return 1.0 - np.abs(preference - mission)


def non_pay_utility(w_gpu: np.ndarray, pull: np.ndarray, w_mission: np.ndarray,
                    preference: np.ndarray, mission: np.ndarray) -> np.ndarray:
    """The terms of V_ij other than pay, outreach and switching:
    w_gpu_i g(GPU_j) + w_mission_i (1 - |m_i - M_j|)."""
    return w_gpu * pull + w_mission * mission_fit(preference, mission)


def pay_utility(weight: np.ndarray, pay: np.ndarray) -> np.ndarray:
    """The pay term w_pay log(pay), with -inf for pay 0 whatever the weight (an unpaid
    alternative is the worst; 0 x log 0 would be NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        term = weight * np.log(pay)
    return np.where(pay > 0, term, -np.inf)


def amenity_utility(tastes: np.ndarray, amenities: np.ndarray) -> np.ndarray:
    """sum_k w_ik A_jk: engineer i's weights of amenities (rows of ``tastes``) times firm
    j's amenities (rows of ``amenities``), row by row (a hedonic valuation of job
    attributes: Rosen 1986; firms' amenities revealed by workers' choices, Sorkin 2018)."""
    return np.einsum("ik,ik->i", tastes, amenities)


def logit_probabilities(values: np.ndarray, noise: float) -> np.ndarray:
    """Choice probabilities exp(V_j / mu) / sum_k exp(V_k / mu) over the last axis."""
    z = np.asarray(values, dtype=np.float64) / noise
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def noisy_utility(values: np.ndarray, noise: float,
                  rng: np.random.Generator | None) -> np.ndarray:
    """U_a = V_a + mu * e_a, e_a standard Gumbel, one draw per alternative in listing order
    (``values`` itself where mu = 0: no draw, and ``rng`` may be None)."""
    if not noise > 0:
        return values
    if rng is None:
        raise ValueError("a choice with noise needs a random generator")
    return values + noise * rng.gumbel(size=values.size)


def choose(
    chooser: np.ndarray, values: np.ndarray, noise: float, rng: np.random.Generator | None
) -> np.ndarray:
    """Each chooser's pick among its alternatives, by a multinomial logit.

    ``chooser[a]`` says whose alternative ``a`` is; the result holds, for each distinct
    chooser (in increasing order), the index of the alternative it picked. The pick is the
    largest V_a + mu * e_a with e_a standard Gumbel (the Gumbel-max form of the logit);
    with mu = 0 it is the largest V_a, and a tie goes to the alternative listed first
    (``rng`` is then not used and may be None).
    """
    return best_alternatives(chooser, noisy_utility(values, noise, rng))


def best_alternatives(chooser: np.ndarray, utility: np.ndarray) -> np.ndarray:
    """For each distinct chooser (in increasing order), the index of its alternative of
    largest ``utility``, the first listed among ties (the pick of :func:`choose` once the
    noise is drawn)."""
    if np.isnan(utility).any():  # NaN sorts last: the general (slower) path
        order = np.lexsort((-utility, chooser))  # by chooser, best first; stable on ties
        ranked = chooser[order]
        first = np.ones(ranked.size, dtype=bool)
        first[1:] = ranked[1:] != ranked[:-1]
        return order[first]
    # Group by chooser (a stable sort of integers, listing order kept within a group), then
    # each group's maximum, then the first alternative reaching it: the same pick as the
    # sort above, two to three times faster at a million engineers.
    order = np.argsort(chooser, kind="stable")
    ranked, ranked_utility = chooser[order], utility[order]
    starts_group = np.empty(ranked.size, dtype=bool)
    starts_group[:1] = True
    np.not_equal(ranked[1:], ranked[:-1], out=starts_group[1:])
    group = np.cumsum(starts_group) - 1
    best = np.maximum.reduceat(ranked_utility, np.flatnonzero(starts_group))
    reaching = np.flatnonzero(ranked_utility == best[group])
    first = np.empty(reaching.size, dtype=bool)
    first[:1] = True
    np.not_equal(group[reaching][1:], group[reaching][:-1], out=first[1:])
    return order[reaching[first]]


def choose_stay_or_offer(values: np.ndarray, rank: np.ndarray, noise: float,
                         rng: np.random.Generator | None) -> np.ndarray:
    """:func:`choose` where chooser c (c = 0..C-1) has alternative c, staying, listed
    first, and the others are its offers: ``values`` holds the C stay values and then the
    offers' values, ``rank[k]`` the chooser of offer k. The same picks from the same draws
    as ``choose(np.concatenate([np.arange(C), rank]), values, noise, rng)``, found without
    sorting: each chooser's best utility U*_c = max(U_stay_c, max_{k: rank_k = c} U_k)
    (``np.maximum.at``); it stays if U_stay_c = U*_c (staying is listed first), and
    otherwise takes its first offer reaching U*_c (``np.minimum.at`` of the offers'
    positions)."""
    n = values.size - rank.size
    utility = noisy_utility(values, noise, rng)
    if np.isnan(utility).any():  # NaN: the general path's own order
        return best_alternatives(np.concatenate([np.arange(n), rank]), utility)
    stay, offered = utility[:n], utility[n:]
    best = stay.copy()
    np.maximum.at(best, rank, offered)
    reaching = (offered == best[rank]).nonzero()[0]
    first = np.full(n, rank.size, dtype=np.intp)  # rank.size: no offer reaches
    np.minimum.at(first, rank[reaching], reaching)
    return np.where(stay == best, np.arange(n), n + first)
