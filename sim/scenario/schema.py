"""The scenario format: one typed, documented definition of every parameter of the model.

A scenario is a TOML file. This module is the single place that defines its keys, their
types, defaults and allowed values: the same classes validate files on load, document the
format (``docs/scenarios.md`` is written from them) and give the JSON Schema
(``talentwar schema``).

Loading (``extends``, ``--set``) is :mod:`sim.scenario.loading`.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.columns import UNEMPLOYMENT_PLACE, tier_column_clashes
from sim.errors import did_you_mean

Rate = Annotated[float, Field(ge=0.0, le=1.0)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
Count = Annotated[int, Field(ge=0)]
Pair = Annotated[list[Share], Field(min_length=2, max_length=2)]
MAX_FIRMS = 100_000
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
"""Names of scenarios, firms, tiers and sweeps: a letter or digit, then letters, digits,
``_``, ``.`` or ``-``, at most 64 characters in all. Such a name is safe as a folder name (no
``/``, ``..``, leading dot or NUL), in a CSV cell (no leading ``=``, ``+``, ``-`` or ``@``
that a spreadsheet would run as a formula), in a plot label (no ``$`` formula markup) and in
HTML."""
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
MAX_SHARE = 1e6
DEFAULT_OUTPUT_MARKUP = 1.5
"""A tier's default output, as a multiple of its average posted pay."""
FirmKind = Literal["big_tech", "frontier_lab", "ai_startup", "enterprise_software", "other"]


class Strict(BaseModel):
    """Base of every scenario table: unknown keys are errors, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


# --------------------------------------------------------------------------- market and tiers


class Market(Strict):
    """Size and money conventions of the market."""

    engineers: Annotated[int, Field(ge=1, le=20_000_000)] = Field(
        10_000, description="Number of engineers in the market."
    )
    teams_at: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Market size (engineers) at which the firms' `team` counts and "
        "their counts of people a month (`hiring_capacity`, `outreach`, "
        "`policy.retention_calls`) are stated. When `engineers` differs (a smaller market "
        "to explore, test or calibrate), each is scaled by engineers / teams_at and rounded "
        "(a count a month above 0 stays at least 1), so the firms keep their shares of each "
        "tier and reach the same share of it a month. Absent: all are as stated at any "
        "size.")
    initial_unemployment: Share = Field(
        0.05, description="Share of engineers without a job in month 0."
    )
    pay_period: Literal["year", "month"] = Field(
        "year",
        description=(
            "Period of every pay figure in the file (posted pay, unemployment benefit). "
            "The model and its outputs always use dollars a year; monthly figures are x12."
        ),
    )
    unemployment_benefit: NonNegative = Field(
        0.0,
        description=(
            "Income of an unemployed engineer, in `pay_period` units. Its log is the pay "
            "term of the utility of staying unemployed; 0 means any offer beats unemployment."
        ),
    )


class Productivity(Strict):
    """Distribution of individual productivity within a tier, with mean 1.

    Offered pay is the firm's posted pay for the tier times the engineer's productivity, so
    this distribution is also the spread of pay within a tier.
    """

    distribution: Literal["none", "lognormal", "pareto"] = Field(
        "none",
        description=(
            "`none`: everyone 1. `lognormal`: exp(sigma z - sigma^2/2). `pareto`: "
            "(alpha-1)/alpha * Pareto(alpha), heavy-tailed, mean 1 (alpha > 1)."
        ),
    )
    sigma: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        0.5, description="Log standard deviation (lognormal), at most 10 (beyond, every draw "
        "but a handful is 0).")
    alpha: Annotated[float, Field(gt=1.0)] = Field(2.5, description="Tail index (pareto).")
    cap: Annotated[float, Field(gt=1.0)] = Field(
        50.0, description="Largest productivity allowed (draws above are set to it)."
    )


class Weights(Strict):
    """Mean weights of the engineer's utility terms, and their spread across engineers.

    Each engineer draws its own weight w_k = mean_k * exp(s z - s^2/2), z ~ N(0, 1),
    s = `dispersion` (mean-preserving lognormal).
    """

    pay: NonNegative = Field(1.0, description="Weight of log pay.")
    gpu: NonNegative = Field(0.0, description="Weight of GPU access (0..1 pull of the firm).")
    mission: NonNegative = Field(0.0, description="Weight of mission fit (0..1).")
    outreach: NonNegative = Field(
        0.0, description="Utility bonus of an offer that came with personal outreach."
    )
    safety: NonNegative = Field(
        0.0, description="Weight of a firm's focus on AI safety (amenity `safety`, 0..1).")
    openness: NonNegative = Field(
        0.0, description="Weight of a firm's openness of research (amenity `openness`, 0..1).")
    dispersion: NonNegative = Field(0.0, description="Log-spread of weights across engineers.")


class Tier(Strict):
    """A kind of engineer: top researchers, ML engineers, non-AI software engineers..."""

    share: Annotated[float, Field(gt=0.0, le=MAX_SHARE)] = Field(
        description="Share of the population (shares are normalised).")
    ai: bool = Field(True, description="Whether the tier does AI work (for AI/non-AI pay).")
    productivity: Productivity = Field(default_factory=Productivity,
                                       description="Spread of productivity in the tier.")
    weights: Weights = Field(default_factory=Weights,
                             description="Utility weights of the tier's engineers.")
    separation: Rate = Field(0.01, description="Monthly chance of exogenous job loss (delta).")
    search_unemployed: Rate = Field(
        0.3, description="Monthly chance an unemployed engineer gets an offer (lambda0)."
    )
    search_employed: Rate = Field(
        0.05, description="Monthly chance an employed engineer searches (lambda1)."
    )
    search_dispersion: NonNegative = Field(
        0.0,
        description="Log-spread of individual search rates around the tier's (0: all equal).",
    )
    output: NonNegative | None = Field(
        None,
        description=(
            "Monthly output in dollars of an engineer of productivity 1 at a firm of "
            "`tfp` 1 (before the compute boost of AI tiers): the unit of what an engineer "
            "is worth to a firm (see [economy]). Absent: 1.5 x the average posted pay of "
            "the tier (a month), over the firms that pay it, so firms paying the going rate "
            "earn a margin; 0 means the tier earns its firms nothing."
        ),
    )
    bargaining_power: Share = Field(
        0.3,
        description=(
            "Share beta of the surplus the engineer gets in a counter-offer auction, a "
            "reduced form (docs/ODD.md 7.8): the winner pays the loser's best bid, as pay at "
            "the winner, plus beta x the rest of its own value. 0: the Postel-Vinay-Robin "
            "wage; 1: the winner's whole value. It splits the current-period surplus, not "
            "values with the option value of future offers, so it is not the bargaining "
            "power Cahuc, Postel-Vinay and Robin (2006) estimate. Default 0.3: an "
            "assumption."
        ),
    )
    mission_preference: Pair = Field(
        [0.0, 1.0],
        description="Engineers' mission preference m_i is uniform on [low, high].",
    )
    responsiveness: Pair = Field(
        [0.0, 0.0],
        description=(
            "Chance, uniform on [low, high] across engineers, that an engineer who is not "
            "searching considers an offer that came with personal outreach."
        ),
    )

    @model_validator(mode="after")
    def _rates_fit_in_a_month(self) -> Tier:
        if self.separation + self.search_employed > 1.0:
            raise ValueError(
                "separation + search_employed must be at most 1 "
                "(they are exclusive events of one month)"
            )
        for key in ("mission_preference", "responsiveness"):
            low, high = getattr(self, key)
            if low > high:
                raise ValueError(f"{key} must be [low, high] with low <= high")
        return self


# --------------------------------------------------------------------------- choice and compute


class Choice(Strict):
    """How engineers find and choose between offers (a multinomial logit)."""

    noise: NonNegative = Field(
        0.3,
        description=(
            "Scale mu of the Gumbel taste noise: P(j) = exp(V_j/mu) / sum_k exp(V_k/mu). "
            "0 makes the choice deterministic (highest utility wins, ties stay)."
        ),
    )
    switching_cost: NonNegative = Field(
        0.1, description="Utility bonus of staying with the current employer."
    )
    offers_per_search: Annotated[int, Field(ge=1, le=20)] = Field(
        1, description="Firms a searching engineer hears from in a month."
    )
    firm_sampling: Literal["uniform", "size", "vacancies"] = Field(
        "uniform",
        description=(
            "Which firms a searcher hears from: `uniform` (each firm hiring its tier equally "
            "likely, the textbook), `size` (in proportion to the firm's `size`) or "
            "`vacancies` (in proportion to the offers the firm plans in the tier this month, "
            "min(vacancies, hiring_capacity); a firm with neither a target nor a capacity "
            "weighs as its `size`)."
        ),
    )


class Compute(Strict):
    """GPU access as a recruiting argument."""

    threshold: Positive = Field(
        10_000.0, description="H100s below which top researchers largely ignore a firm."
    )
    response: Literal["sharp", "smooth"] = Field(
        "smooth",
        description=(
            "`sharp`: pull g = 1 at or above the threshold, else 0. `smooth`: "
            "g = 1 / (1 + (threshold / gpus)^(1/width)), a logistic in log GPUs."
        ),
    )
    width: Positive = Field(
        0.25, description="Width of the smooth response, in natural-log units of GPUs."
    )
    gpu_price: Positive = Field(30_000.0, description="Price of one H100, in dollars.")
    supply_per_month: NonNegative = Field(
        50_000.0,
        description="H100s delivered a month to all buyers together; orders queue first come, "
        "first served.",
    )


class Economy(Strict):
    """Money: what talent and compute earn, and how start-ups are funded and valued.

    Monthly revenue of firm j (the production function):
        R_j = tfp_j * sum_{i at j} a_i q_t(i) (1 + ai_t(i) * compute_boost * g(GPU_j))
    so engineer i's revenue product at firm j is y_ij = 12 a_i q_t tfp_j (1 + ai_t boost g_j)
    dollars a year (what burn, margins and layoffs follow). Its value to j, what j would
    bid for it, is forward-looking: v_ij = y_ij x Gamma_j, with Gamma_j the average over
    an expected match of match_years of the growth (1 + expected_growth_j)^tau the firm
    expects, discounted at discount_rate (sim/market/production.py: horizon_multiplier).
    With expected_growth 0, Gamma = 1 and v_ij = y_ij.
    """

    compute_boost: NonNegative = Field(
        1.0, description="Extra output of AI engineers at a firm with full GPU pull (g = 1)."
    )
    valuation_years: NonNegative = Field(
        2.0,
        description="A firm's valuation: cash + valuation_years x the annual value of its "
        "team (sum of v_ij).",
    )
    funding_rate: Rate = Field(
        0.15,
        description="Monthly chance a start-up or frontier lab short of runway closes a round.",
    )
    funding_runway_months: NonNegative = Field(
        12.0, description="Runway (months of cash at the current burn) below which it raises."
    )
    round_years: NonNegative = Field(
        1.5,
        description="Size of a round in years of the annual value of the firm's AI team "
        "(which grows with its GPUs through the compute boost).",
    )
    match_years: Annotated[float, Field(gt=0.0, le=50.0)] = Field(
        3.0,
        description="Expected duration of a match, in years: the horizon D over which a "
        "firm values an engineer's output (the forward value of talent, "
        "sim/market/production.py: horizon_multiplier).",
    )
    discount_rate: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        0.1,
        description="Annual rate r at which firms discount an engineer's future output "
        "(and pay) over the match.",
    )
    rewrite_history: bool = Field(
        False,
        description="Whether the model's own deals may take a start-up that a later dated "
        "`forced_deal` names as its target. false: dated deals happen as reported (the "
        "model's buyers leave their targets alone until then); true: history may be "
        "rewritten (a scheduled deal whose target has gone is skipped).",
    )
    leave_after_deal: Share = Field(
        0.3, description="Share of engineers moved by a deal who leave within six months, "
        "with no retention packages."
    )
    retention_effect: Positive = Field(
        0.15,
        description="Retention packages worth r of the price cut that share to "
        "leave_after_deal * exp(-r / retention_effect).",
    )


class Antitrust(Strict):
    """Competition review of deals, on the employment of top-tier engineers by firm
    (docs/ODD.md 7.10). The screens and their default thresholds are those of merger
    control: the 2023 US Merger Guidelines (DOJ and FTC) and the 2004 EU Horizontal Merger
    Guidelines; ``top_share`` and ``hhi_delta`` are simpler stylised rules."""

    enabled: bool = Field(False, description="Whether deals are reviewed at all.")
    rule: Literal["us_2023", "eu_2004", "top_share", "hhi_delta"] = Field(
        "us_2023",
        description="`us_2023`: block if the post-deal HHI exceeds `us_hhi_level` and the "
        "deal raises it by more than `us_hhi_delta`, or if the buyer's post-deal share "
        "exceeds `us_share` percent and the HHI rises by more than `us_hhi_delta` (2023 US "
        "Merger Guidelines). `eu_2004`: block unless the deal lies in a band where the 2004 "
        "EU Horizontal Merger Guidelines find concerns unlikely: post-deal HHI below "
        "`eu_safe_level`; up to `eu_band_level` with a rise below `eu_low_delta`; above it "
        "with a rise below `eu_high_delta`. `top_share`: block if the buyer's share of "
        "employed top-tier engineers after the deal exceeds `threshold` percent. "
        "`hhi_delta`: block if the deal raises the top-tier HHI by more than `threshold` "
        "points. HHI on the 0-10,000 scale.",
    )
    threshold: NonNegative = Field(
        25.0, description="Threshold of the `top_share` (percent) and `hhi_delta` (HHI "
        "points) rules; unused by `us_2023` and `eu_2004`.")
    us_hhi_level: NonNegative = Field(
        1800.0, description="`us_2023`: HHI above which a market is highly concentrated.")
    us_hhi_delta: NonNegative = Field(
        100.0, description="`us_2023`: rise in HHI above which a deal is presumed to lessen "
        "competition (in a highly concentrated market, or with a share above `us_share`).")
    us_share: Annotated[float, Field(ge=0.0, le=100.0)] = Field(
        30.0, description="`us_2023`: buyer's post-deal share (percent) above which a deal "
        "with a rise above `us_hhi_delta` is presumed to lessen competition.")
    eu_safe_level: NonNegative = Field(
        1000.0, description="`eu_2004`: post-deal HHI below which concerns are unlikely.")
    eu_band_level: NonNegative = Field(
        2000.0, description="`eu_2004`: edge between the middle band and the top band of "
        "post-deal HHI.")
    eu_low_delta: NonNegative = Field(
        250.0, description="`eu_2004`: in the middle band, a rise below this raises no concern.")
    eu_high_delta: NonNegative = Field(
        150.0, description="`eu_2004`: above `eu_band_level`, a rise below this raises no "
        "concern.")
    review_license_and_hire: bool = Field(
        False, description="Whether license-and-hire deals are reviewed like acquisitions "
        "(as the UK CMA reviewed Microsoft-Inflection as a merger situation)."
    )

    @model_validator(mode="after")
    def _bands(self) -> Antitrust:
        if self.eu_safe_level > self.eu_band_level:
            raise ValueError("eu_safe_level must not exceed eu_band_level")
        return self


# --------------------------------------------------------------------------- firms


class Spread(Strict):
    """Values spread over generated firms: firm k of n gets a value between min and max."""

    min: NonNegative = Field(description="Smallest value.")
    max: NonNegative = Field(description="Largest value.")
    spread: Literal["even", "uniform", "log-uniform"] = Field(
        "even",
        description=(
            "`even`: min + (max-min) k/(n-1); `uniform`: random; `log-uniform`: random "
            "with log spread evenly (min > 0)."
        ),
    )

    @model_validator(mode="after")
    def _ordered(self) -> Spread:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        if self.spread == "log-uniform" and self.min <= 0:
            raise ValueError("log-uniform needs min > 0")
        return self


class Policy(Strict):
    """A firm's decision rules. ``[firm_defaults]`` sets them for every firm; a firm's own
    ``policy`` table overrides any of them; a ``policy_change`` event changes them mid-run."""

    counter_offer: Literal["never", "match", "beat"] = Field(
        "never",
        description="Answer to an employee's outside offer from a firm that values the "
        "engineer above its pay: `never` renegotiate; `match`: bargain with the poacher "
        "(Postel-Vinay and Robin 2002; Cahuc, Postel-Vinay and Robin 2006): the firm valuing "
        "the engineer more keeps or wins it at outside option + beta x surplus; `beat`: as "
        "`match`, and a firm that keeps the engineer adds `beat_margin` of the surplus, never "
        "above its value nor above what keeps the engineer.",
    )
    beat_margin: NonNegative = Field(
        0.1, description="Share of the surplus a `beat` counter-offer adds to the worker's "
        "(the worker's share is at most 1).")
    retention_calls: Count = Field(
        0, description="Founder calls a month to employees holding outside offers."
    )
    make_whole: Share = Field(
        1.0, description="Share of an employed engineer's unvested equity (what leaving "
        "forfeits, [equity]) the firm's offers make whole with a sign-on grant, up to the "
        "firm's surplus H (v_ij - offer); an auction the firm wins makes it whole in full "
        "(sim/market/equity.py). Without [equity] nothing is forfeited.")
    retention_call_cost: NonNegative = Field(
        50_000.0, description="Cost of one retention call (a retention bonus), in dollars."
    )
    expected_growth: Annotated[float, Field(ge=-0.9, le=100.0)] = Field(
        0.0,
        description="Growth a year of the revenue of an engineer's output that the firm "
        "expects (its investors' thesis: a frontier lab valued on what its models will "
        "earn). It makes the value of talent forward-looking: v_ij = y_ij x Gamma_j (see "
        "[economy] match_years). 0: value = this year's revenue product.",
    )
    pay_policy: Literal["fixed", "adaptive"] = Field(
        "fixed",
        description="`adaptive`: posted pay of a tier rises by `raise_rate` a month while "
        "the firm is short of its target, freezes when runway is short and falls by "
        "`cut_rate` when it is very short; never above the engineer's value to the firm.",
    )
    raise_rate: Rate = Field(0.02, description="Monthly raise of posted pay when short.")
    cut_rate: Rate = Field(0.01, description="Monthly cut of posted pay when cash is short.")
    growth: dict[str, Annotated[float, Field(ge=-1.0)]] = Field(
        default_factory=dict,
        description="Target headcount growth a year per tier (0.3 = +30%/yr, -0.1 = shrink). "
        "A tier with a target hires only below it and lays off above it; a tier left out "
        "has no target.",
    )
    runway_months: NonNegative = Field(
        9.0, description="Cash runway below which the firm freezes hiring and lays off."
    )
    layoff_rate: Rate = Field(
        0.03, description="Share of headcount laid off in a month under pressure."
    )
    margin_target: float | None = Field(
        None,
        description="Operating margin investors demand ((R - costs) / R); below it the firm "
        "lays off. Absent: no margin pressure.",
    )
    gpu_target: NonNegative | None = Field(
        None, description="GPU stock the firm wants (H100); it orders the difference."
    )
    gpu_budget_share: Share = Field(
        0.2, description="Most of its cash a firm commits to GPU orders in a month."
    )
    acquisitive: bool = Field(False, description="Whether the firm buys start-ups' teams.")
    deal_form: Literal["acquisition", "license_and_hire", "auto"] = Field(
        "auto",
        description="`auto`: an acquisition, or license-and-hire where the acquisition would "
        "be blocked.",
    )
    deal_rate: Rate = Field(
        0.05, description="Monthly chance an acquisitive firm with a talent gap makes a deal."
    )
    premium: Annotated[float, Field(ge=1.0)] = Field(
        4.0, description="Price = target valuation x premium (MosaicML: about 6)."
    )
    licence_share: NonNegative = Field(
        1.0, description="Licence fee of a license-and-hire deal, as a share of the price."
    )
    hire_share: Share = Field(
        0.8, description="Share of the target's team hired in a license-and-hire deal."
    )
    retention_share: Share = Field(
        0.1, description="Share of a deal's price paid as retention packages to its team."
    )
    max_price_share: Share = Field(
        0.3, description="Most of its cash a firm spends on one deal."
    )
    max_pay_share: Annotated[float, Field(gt=0, le=1)] = Field(
        0.002, description="Most of its cash a firm commits to one engineer's annual pay: "
        "every offer, outreach package, counter-offer and posted pay of the firm is at most "
        "C_j = max_pay_share x cash_j a year (all of pay, stock included: the books pay all "
        "of it from cash; a make-whole grant counts at G / match_years a year). A firm does "
        "not bid what it cannot fund, however much its talent is worth to it "
        "(sim/market/production.py, pay_ceiling). 0.002: a $5B lab pays one person at most "
        "$10M a year, a $500M start-up $1M (docs/ODD.md 7.2b).")

    def updated(self, *overrides: BaseModel) -> Policy:
        """These rules with the keys each override sets (later overrides win)."""
        policy = self
        for layer in overrides:
            changes = {k: v for k, v in layer.model_dump().items() if v is not None}
            policy = policy.model_copy(update=changes)
        return policy


def _partial(model: type[BaseModel]) -> type[BaseModel]:
    """The same table with every key optional (absent = inherit)."""
    from pydantic import create_model

    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation: Any = (Annotated[info.annotation, *info.metadata] if info.metadata
                           else info.annotation)
        fields[name] = (annotation | None, Field(None, description=info.description))
    return create_model(f"{model.__name__}Override", __base__=Strict, **fields)


PolicyOverride = _partial(Policy)


class Vesting(Strict):
    """Equity pay of a kind of firm (or one firm): the share of total pay paid in stock,
    the vesting schedule of a new-hire grant, its cliff and the yearly refresh grants
    (sim/market/equity.py). A new-hire grant is worth Y years of equity pay (Y = the
    schedule's length) and vests monthly within each year at the year's rate, nothing
    before the cliff; each anniversary adds a refresh grant of `refresh` x the new-hire
    grant, on the same schedule without a cliff."""

    share: Share = Field(0.0, description="Share of total pay paid in stock (0..1).")
    schedule: list[Share] = Field(
        default_factory=lambda: [0.25, 0.25, 0.25, 0.25], min_length=1, max_length=10,
        description="Share of the grant vesting in each year (sums to 1): [0.25, 0.25, "
        "0.25, 0.25] is four even years; Amazon back-loads [0.05, 0.15, 0.4, 0.4].")
    cliff_months: Annotated[int, Field(ge=0, le=120)] = Field(
        12, description="Months before anything of the new-hire grant vests; at the cliff "
        "what has accrued vests at once.")
    refresh: NonNegative = Field(
        0.25, description="Refresh grant each anniversary, as a share of the new-hire grant "
        "(0.25 of a four-year grant keeps one year of equity pay vesting a year).")

    @model_validator(mode="after")
    def _schedule(self) -> Vesting:
        if abs(sum(self.schedule) - 1.0) > 1e-6:
            raise ValueError(f"schedule must sum to 1 (it sums to {sum(self.schedule):g})")
        if self.cliff_months > 12 * len(self.schedule):
            raise ValueError("cliff_months is longer than the schedule")
        return self


AMENITIES = ("safety", "openness")
"""A firm's amenities beyond its mission (frontier ambition), each 0..1, valued by each
engineer with its own weight (:class:`Weights`)."""


class Amenities(Strict):
    """What a firm is like to work at, beyond pay, GPUs and its mission (how much it is
    about building frontier AI): each 0..1, valued by engineers with their own weights."""

    safety: Share = Field(0.0, description="Focus on AI safety research (0..1).")
    openness: Share = Field(0.0, description="Openness of its research: publishing, open "
                            "models (0..1).")


class PartialAmenities(Strict):
    """Amenities that change (an `amenity_change` event): the keys given, the rest kept."""

    safety: Share | None = Field(None, description="New focus on AI safety (0..1).")
    openness: Share | None = Field(None, description="New openness of research (0..1).")


class Firm(Strict):
    """A named firm."""

    kind: FirmKind = Field("other", description="Kind of firm, for grouping and plots.")
    gpus: NonNegative = Field(0.0, description="GPU stock in H100 equivalents.")
    mission: Share = Field(
        0.0, description="How much the firm is about building frontier AI (0..1)."
    )
    pay: dict[str, NonNegative] = Field(
        default_factory=dict,
        description=(
            "Posted pay per tier, in `market.pay_period` units, for an engineer of "
            "productivity 1. A tier left out (or 0) is not hired."
        ),
    )
    hiring_capacity: Count | None = Field(
        None, description="Most offers the firm makes in a month (absent: no limit)."
    )
    cash: NonNegative = Field(1e9, description="Cash in dollars.")
    outreach: Count = Field(
        0, description="Personal notes or calls the firm's leaders make in a month."
    )
    size: Positive = Field(
        1.0, description="Relative share of the initial employment of the tiers it hires."
    )
    tfp: NonNegative = Field(
        1.0, description="Revenue per unit of output (the firm's productivity, see [economy])."
    )
    amenities: Amenities = Field(default_factory=Amenities,
                                 description="Safety focus and openness of research (0..1).")
    policy: PolicyOverride = Field(  # type: ignore[valid-type]
        default_factory=PolicyOverride, description="Decision rules (see [firm_defaults])."
    )
    founded: str | None = Field(
        None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
        description="Calendar month YYYY-MM the firm was founded. A firm founded after the "
        "start employs nobody in month 0, and hires nobody, raises no funds and cannot be "
        "bought before that month. Absent: the firm exists from the start.")
    team: dict[str, Count] = Field(
        default_factory=dict,
        description="Initial headcount per tier, in engineers of the model (its reported team "
        "scaled to the market). A tier given here is not placed by `size`; a tier left out is. "
        "A tier with engineers here needs a pay in `pay`.")
    valuation: NonNegative | None = Field(
        None, description="Reported post-money valuation in dollars at the start (a "
        "`funding_round` event updates it). With `headcount`, it sets what the firm's "
        "talent is worth to it (docs/ODD.md 7.2). Absent: value follows `tfp` and "
        "`expected_growth`.")
    headcount: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Reported staff (all roles) at the date of `valuation`: valuation "
        "per head is valuation / headcount.")

    @model_validator(mode="after")
    def _valued_per_head(self) -> Firm:
        if self.valuation is not None and self.headcount is None:
            raise ValueError("a firm with a `valuation` needs its reported `headcount` (staff "
                             "at the date of the valuation)")
        return self


class GeneratedFirms(Strict):
    """A group of firms generated from spreads (for large or stylised markets). Each key
    means what it means for a named firm; a number is the same for every firm of the group,
    a Spread table spreads it over them."""

    count: Annotated[int, Field(ge=1, le=100_000)] = Field(description="Firms in the group.")
    prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$")] = Field(
        "firm", description="Names are prefix + number.")
    kind: FirmKind = Field("other", description="Kind of the firms.")
    gpus: NonNegative | Spread = Field(0.0, description="GPU stock (H100).")
    mission: Share | Spread = Field(0.0, description="Mission (0..1).")
    pay: dict[str, NonNegative | Spread] = Field(
        default_factory=dict, description="Posted pay per tier.")
    hiring_capacity: Count | None = Field(None, description="Offers a month (absent: none).")
    cash: NonNegative | Spread = Field(1e9, description="Cash in dollars.")
    outreach: Count = Field(0, description="Personal contacts a month.")
    size: Positive | Spread = Field(1.0, description="Relative share of initial employment.")
    tfp: NonNegative | Spread = Field(1.0, description="Revenue per unit of output.")
    amenities: Amenities = Field(default_factory=Amenities,
                                 description="Amenities of the group's firms (all the same).")
    policy: PolicyOverride = Field(  # type: ignore[valid-type]
        default_factory=PolicyOverride, description="Decision rules of the group's firms.")

    @model_validator(mode="after")
    def _spreads_in_range(self) -> GeneratedFirms:
        # A spread's ends must be values a named firm could take.
        if isinstance(self.mission, Spread) and self.mission.max > 1.0:
            raise ValueError("mission: a spread's max must not exceed 1 (mission is 0..1)")
        if isinstance(self.size, Spread) and self.size.min <= 0.0:
            raise ValueError("size: a spread's min must be > 0")
        return self

    def names(self) -> list[str]:
        """The firms' names: prefix + number, zero-padded to the width of ``count``."""
        width = len(str(self.count))
        return [f"{self.prefix}{k + 1:0{width}d}" for k in range(self.count)]


# --------------------------------------------------------------------------- events

When = Annotated[
    int | str,
    Field(description="Model month (1 = the first step) or calendar month YYYY-MM."),
]


class Event(Strict):
    """Something that happens at a date."""

    month: When = Field(description="Model month (1 = the first step) or calendar month "
                        "YYYY-MM when it happens.")

    @model_validator(mode="after")
    def _when(self) -> Event:
        if isinstance(self.month, int) and self.month > 100_000:
            raise ValueError("month must be <= 100000 (the longest horizon)")
        if isinstance(self.month, int) and self.month < 1:
            raise ValueError("month must be >= 1 (month 1 is the first step)")
        if isinstance(self.month, str) and not _is_calendar_month(self.month):
            raise ValueError("month must be a model month (int) or a calendar month YYYY-MM")
        return self


def _is_calendar_month(text: str) -> bool:
    import re

    return re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text) is not None


class PolicyChange(Event):
    """A firm, or every firm of a kind, changes its decision rules (e.g. drops its
    never-renegotiate rule). Give ``firm`` or ``kind``, not both."""

    type: Literal["policy_change"]
    firm: str | None = Field(None, description="The firm that changes.")
    kind: FirmKind | None = Field(None, description="Or: every firm of this kind changes.")
    policy: PolicyOverride = Field(  # type: ignore[valid-type]
        description="The rules that change (policy keys).")

    @model_validator(mode="after")
    def _one_target(self) -> PolicyChange:
        if (self.firm is None) == (self.kind is None):
            raise ValueError("a policy_change names either a firm or a kind of firm")
        return self


class FundingClimate(Event):
    """A funding boom (multiplier > 1) or winter (< 1) for some months."""

    type: Literal["funding_climate"]
    multiplier: NonNegative = Field(description="Scales the chance of closing a round.")
    months: Annotated[int, Field(ge=1)] = Field(12, description="For how many months.")


class GpuSupplyShock(Event):
    """GPU supply scaled for some months."""

    type: Literal["gpu_supply_shock"]
    multiplier: NonNegative = Field(description="Scales GPU supply per month.")
    months: Annotated[int, Field(ge=1)] = Field(12, description="For how many months.")


class AmenityChange(Event):
    """A firm's amenities change at a date (a safety team dissolved, a lab that stops
    publishing): the keys given take their new values from then on."""

    type: Literal["amenity_change"]
    firm: str = Field(description="The firm that changes.")
    amenities: PartialAmenities = Field(description="The amenities that change (0..1).")


class Turmoil(Event):
    """Turmoil at a firm: its engineers search much more for some months."""

    type: Literal["turmoil"]
    firm: str = Field(description="The firm in turmoil.")
    search_multiplier: Annotated[float, Field(ge=1.0)] = Field(
        5.0, description="Its employees' search rate is multiplied by this.")
    months: Annotated[int, Field(ge=1)] = Field(3, description="For how many months.")


class FundingRound(Event):
    """A dated funding round: investors pay ``amount`` to the firm, and its reported
    valuation becomes ``valuation`` (post-money) from then on."""

    type: Literal["funding_round"]
    firm: str = Field(description="The firm that raises.")
    amount: NonNegative = Field(description="Money raised, in dollars.")
    valuation: NonNegative | None = Field(
        None, description="Post-money valuation in dollars (absent: unchanged).")
    headcount: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Reported staff at the date of the round (absent: unchanged).")


class GpuStock(Event):
    """A firm's GPU stock as reported at a date (a cluster coming online, capacity rented
    from a cloud): the stock becomes ``gpus`` H100 equivalents from this month."""

    type: Literal["gpu_stock"]
    firm: str = Field(description="The firm.")
    gpus: NonNegative = Field(description="Its GPU stock from this month, H100 equivalents.")


class ForcedDeal(Event):
    """A deal at a date: "firm X hires most of firm Y's team for $Z"."""

    type: Literal["forced_deal"]
    buyer: str = Field(description="The buying firm.")
    target: str = Field(description="The start-up whose team it buys or hires.")
    form: Literal["acquisition", "license_and_hire"] = Field(description="Form of the deal.")
    price: NonNegative = Field(
        description="Acquisition price, or licence fee of a license-and-hire, in dollars."
    )
    hire_share: Share = Field(0.8, description="Share of the team hired (license-and-hire).")
    review: bool = Field(
        True, description="Whether the deal goes to antitrust review under [antitrust]'s rules "
        "(false: it happens whatever the rules say)."
    )

    @model_validator(mode="after")
    def _two_firms(self) -> ForcedDeal:
        if self.buyer == self.target:
            raise ValueError(f"a firm cannot buy itself ({self.buyer!r} is buyer and target)")
        return self


AnyEvent = Annotated[
    PolicyChange | FundingClimate | GpuSupplyShock | Turmoil | ForcedDeal | AmenityChange
    | FundingRound | GpuStock,
    Field(discriminator="type"),
]
EVENT_TYPES = ("policy_change", "funding_climate", "gpu_supply_shock", "turmoil",
               "forced_deal", "amenity_change", "funding_round", "gpu_stock")


# --------------------------------------------------------------------------- scenario


class Scenario(Strict):
    """A whole scenario: the market, its engineers, its firms and how they meet."""

    name: Name = Field("scenario", description="Short name; runs are filed under it "
                       "(letters, digits, `_`, `.`, `-`; at most 64 characters).")
    description: str = Field("", description="What the scenario is about.")
    seed: Annotated[int, Field(ge=0)] = Field(0, description="Seed of the model's rng.")
    months: Annotated[int, Field(ge=1, le=100_000)] = Field(
        120, description="Months to simulate (one step is one month)."
    )
    start: str = Field(
        "2023-01",
        pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
        description="Calendar month of month 0, YYYY-MM.",
    )
    market: Market = Field(default_factory=Market, description="Size and pay conventions.")
    tiers: dict[Name, Tier] = Field(
        description="Engineer tiers, best first (the first tier is the 'top tier').",
        max_length=100,
    )
    choice: Choice = Field(default_factory=Choice, description="Search and the logit choice.")
    compute: Compute = Field(default_factory=Compute,
                             description="GPU threshold, price and supply.")
    firms: dict[Name, Firm] = Field(
        default_factory=dict,
        description="Named firms (names: letters, digits, `_`, `.`, `-`; at most 64 characters; "
        "not a kind of firm, such as `big_tech`).")
    generated_firms: list[GeneratedFirms] = Field(
        default_factory=list, description="Groups of generated firms."
    )
    firm_defaults: Policy = Field(
        default_factory=Policy, description="Decision rules of every firm, unless it says."
    )
    policy_override: PolicyOverride = Field(  # type: ignore[valid-type]
        default_factory=PolicyOverride,
        description="Decision rules imposed on every firm for the whole run, over its own "
        "and over policy_change events (for counterfactuals: 'everybody matches').",
    )
    economy: Economy = Field(default_factory=Economy,
                             description="Production, valuation, funding, deal attrition.")
    antitrust: Antitrust = Field(default_factory=Antitrust,
                                 description="Review of deals.")
    equity: dict[Name, Vesting] = Field(
        default_factory=dict,
        description="Equity pay and vesting, by kind of firm (`big_tech`, `frontier_lab`, "
        "...) or by firm name (a name wins over its kind). Absent: pay is all cash, "
        "nothing is forfeited on leaving (the model without equity).")
    events: list[AnyEvent] = Field(
        default_factory=list, description="A dated timeline of events."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if not self.tiers:
            raise ValueError("at least one tier is needed")
        if not self.firms and not self.generated_firms:
            raise ValueError("no firms: give [firms.NAME] tables or [[generated_firms]]")
        if len(self.firms) + sum(g.count for g in self.generated_firms) > MAX_FIRMS:
            raise ValueError(f"at most {MAX_FIRMS:,} firms in all")
        known = set(self.tiers)
        for tier in self.tiers:
            clashes = tier_column_clashes(tier)
            if clashes:
                raise ValueError(f"tiers.{tier}: this name would overwrite the output "
                                 f"column(s) {clashes}; choose another tier name")
        names = self.firm_names()
        seen = set(names)
        twice = sorted(n for n, k in Counter(names).items() if k > 1)
        if twice:
            raise ValueError(f"firm names must be unique; {twice[:10]} appear twice (a "
                             "generated name clashes with another)")
        if UNEMPLOYMENT_PLACE in seen:
            raise ValueError(f"a firm cannot be called {UNEMPLOYMENT_PLACE!r} (flows.csv uses "
                             "that name for unemployment)")
        for k, event in enumerate(self.events):
            for key in ("firm", "buyer", "target"):
                name = getattr(event, key, None)
                if name is not None and name not in seen:
                    shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
                    raise ValueError(f"events[{k}].{key}: no firm called {name!r}"
                                     f"{did_you_mean(name, names)}; firms are {shown}")
                founded = self.firms[name].founded if name in self.firms else None
                if founded is not None and self.month_of(event.month) < self.month_of(founded):
                    raise ValueError(f"events[{k}].month: {event.month} is before {name} was "
                                     f"founded ({founded}; events[{k}].{key})")
            if isinstance(event.month, str) and self.month_of(event.month) < 1:
                raise ValueError(f"events[{k}].month: {event.month} is not after the start "
                                 f"({self.start})")
            if (isinstance(event, FundingRound) and event.valuation is not None
                    and event.headcount is None and not self._staff_reported(event, k)):
                raise ValueError(
                    f"events[{k}]: a funding_round that gives {event.firm} a valuation needs "
                    f"its reported headcount (staff at the date of the valuation): "
                    f"{event.firm} has none in [firms.{event.firm}] nor in an earlier round; "
                    "add headcount = ... to the event")
        kinds = set(get_args(FirmKind))
        named_as_kind = sorted(seen & kinds)
        if named_as_kind:
            raise ValueError(
                f"firms.{named_as_kind[0]}: a firm cannot take the name of a kind of firm "
                f"{sorted(kinds)}: [equity.{named_as_kind[0]}] (and a policy_change's kind) "
                "would name both it and every firm of that kind; rename the firm")
        bad = sorted(set(self.equity) - seen - set(get_args(FirmKind)))
        if bad:
            raise ValueError(f"equity names {bad}: neither a kind of firm "
                             f"{list(get_args(FirmKind))} nor a firm"
                             + did_you_mean(bad[0], [*seen, *get_args(FirmKind)]))
        for name, firm in self.firms.items():
            unknown = set(firm.team) - known
            if unknown:
                raise ValueError(
                    f"firms.{name}.team names unknown tier(s) {sorted(unknown)}"
                    f"{did_you_mean(min(unknown), known)}; tiers are {sorted(known)}"
                )
            unpaid = sorted(t for t, n in firm.team.items() if n > 0 and not firm.pay.get(t))
            if unpaid:
                raise ValueError(
                    f"firms.{name}.team: {unpaid[0]} = {firm.team[unpaid[0]]}, a tier the "
                    f"firm does not pay (firms.{name}.pay has no {unpaid[0]}, or 0): its "
                    "engineers would work for nothing; give its pay, or leave the tier out of "
                    "the team")
            if firm.founded is not None and self.month_of(firm.founded) > 0 and any(
                    firm.team.values()):
                raise ValueError(f"firms.{name}: founded {firm.founded}, after the start "
                                 f"({self.start}), so it has no team in month 0")
            unknown = set(firm.pay) - known
            if unknown:
                raise ValueError(
                    f"firms.{name}.pay names unknown tier(s) {sorted(unknown)}"
                    f"{did_you_mean(min(unknown), known)}; tiers are {sorted(known)}"
                )
        for tier, spec in self.tiers.items():
            stated = sum(round(f.team.get(tier, 0) * self.team_scale)
                         for f in self.firms.values())
            employed = self.market.engineers * spec.share * (1 - self.market.initial_unemployment)
            if stated > employed:
                raise ValueError(
                    f"firms.*.team: the teams stated for tier {tier!r} hold {stated:,} "
                    f"engineers, more than the {employed:,.0f} the market employs in that "
                    f"tier at the start (market.engineers = {self.market.engineers:,}); raise "
                    "market.engineers, or set market.teams_at to the size the teams are "
                    "stated at, so that they scale with the market")
        policies = [(f"firms.{n}.policy", f.policy) for n, f in self.firms.items()]
        policies += [(f"events[{k}].policy", e.policy) for k, e in enumerate(self.events)
                     if isinstance(e, PolicyChange)]
        policies.append(("firm_defaults", self.firm_defaults))
        for where, policy in policies:
            unknown = set(getattr(policy, "growth", None) or {}) - known
            if unknown:
                raise ValueError(f"{where}.growth names unknown tier(s) {sorted(unknown)}"
                                 f"{did_you_mean(min(unknown), known)}")
        for k, group in enumerate(self.generated_firms):
            unknown = set(group.pay) - known
            if unknown:
                raise ValueError(
                    f"generated_firms[{k}].pay names unknown tier(s) {sorted(unknown)}"
                    f"{did_you_mean(min(unknown), known)}"
                )
        return self

    def tier_output(self, tier: str) -> float:
        """The tier's monthly output q_t: as set, or 1.5 x the mean posted pay of the tier
        over the firms that pay it, a month (generated firms at the middle of their spread;
        0 if no firm pays the tier)."""
        set_ = self.tiers[tier].output
        if set_ is not None:
            return set_
        pays = [f.pay[tier] for f in self.firms.values() if f.pay.get(tier, 0) > 0]
        for group in self.generated_firms:
            pay = group.pay.get(tier, 0.0)
            middle = (pay.min + pay.max) / 2 if isinstance(pay, Spread) else pay
            if middle > 0:
                pays.extend([middle] * group.count)
        if not pays:
            return 0.0
        per_year = 12.0 if self.market.pay_period == "month" else 1.0
        return DEFAULT_OUTPUT_MARKUP * sum(pays) / len(pays) * per_year / 12.0

    @property
    def team_scale(self) -> float:
        """The factor on every stated ``team``: ``market.engineers / market.teams_at``, or 1
        where ``teams_at`` is not set (teams as stated)."""
        teams_at = self.market.teams_at
        return 1.0 if teams_at is None else self.market.engineers / teams_at

    def firm_names(self) -> list[str]:
        """Every firm's name, named firms first, then each generated group, in file order."""
        names = list(self.firms)
        for group in self.generated_firms:
            names.extend(group.names())
        return names

    def _staff_reported(self, event: FundingRound, k: int) -> bool:
        """Whether the firm of ``events[k]`` (a funding round) has a reported headcount by
        then: in its table, or given by a funding round of an earlier month (or listed
        before it in the same month)."""
        if event.firm in self.firms and self.firms[event.firm].headcount is not None:
            return True
        month = self.month_of(event.month)
        return any(isinstance(e, FundingRound) and e.firm == event.firm
                   and e.headcount is not None
                   and (self.month_of(e.month), i) < (month, k)
                   for i, e in enumerate(self.events))

    def month_of(self, when: int | str) -> int:
        """The model month of ``when``: an int month as it is, a calendar month YYYY-MM
        counted from ``start`` (month 0)."""
        if isinstance(when, int):
            return when
        year, mon = map(int, when.split("-"))
        start_year, start_mon = map(int, self.start.split("-"))
        return (year - start_year) * 12 + mon - start_mon

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario as plain data (what a manifest records)."""
        return self.model_dump(mode="json")
