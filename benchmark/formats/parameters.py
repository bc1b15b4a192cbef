"""``parameters.yaml``: the one configuration file, validated on load.

The file is parsed into frozen dataclasses. Unknown keys, wrong types and
missing values are rejected with a one-line error naming the file and the key,
so a typo never silently falls back to a default. Every number has a declared
range, checked as it is read.

A new numeric field declares its range with :func:`bounded`
(``name: int = bounded(default, low, high)``); a test refuses one without.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from ..errors import InputError, excerpt, printable
from ..scoring.classifier import DEBUGGING_SETTINGS, check_classifier_settings
from ..workspace.layout import is_data_id, is_task_name
from .results import PROTOCOLS


# --------------------------------------------------------------------------- ranges
@dataclass(frozen=True)
class Range:
    """The values a numeric parameter may take (inclusive ends unless marked open)."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float | None) -> bool:
        if value is None:  # an optional number left unset (e.g. method_timeout_s: no limit) is always allowed
            return True
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def __str__(self) -> str:
        low, high = (str(int(x)) if float(x).is_integer() else repr(float(x)) for x in (self.low, self.high))
        if not (self.low_open or self.high_open):
            return f"between {low} and {high}"
        return f"in {'(' if self.low_open else '['}{low}, {high}{')' if self.high_open else ']'}"


RANGE = "range"  # dataclass field metadata key


def bounded(default: Any, low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> Any:
    """A numeric field (or a dict/list of numbers) with its range, checked when parameters are read.

    Ranges keep every number to what the harness can run: no million workers, no bootstrap
    that exhausts memory after all the fits, no size that overflows an integer array.
    """
    meta = {RANGE: Range(low, high, low_open, high_open)}
    if callable(default):  # a default factory (dict, list)
        return field(default_factory=default, metadata=meta)
    return field(default=default, metadata=meta)


SEED_RANGE = (0, 2**32 - 1)  # what numpy's legacy seeding (and every RNG here) accepts
ROWS = 10**8  # more rows than any DataPerf resource, far fewer than int64 or memory would break at
DIMS = 65_536
SECONDS_LIMIT = 7 * 24 * 3600.0


# --------------------------------------------------------------------------- sections
@dataclass(frozen=True)
class DemoSource:
    """Offline demo data built from scikit-learn's handwritten digits."""

    concepts: dict[str, int] = bounded(dict, 0, 9)  # selection task -> digit
    pairs: dict[str, list[int]] = bounded(dict, 0, 9)  # data_id -> [negative digit, positive digit]
    # share of training rows given a wrong label (one-way: the positive digit labelled 0)
    noise: float = bounded(0.3, 0, 1, high_open=True)
    seed: int = bounded(0, *SEED_RANGE)  # fixes the split into pool, test sets and the noise


@dataclass(frozen=True)
class SyntheticSource:
    """Synthetic data at DataPerf's real dimensions, streamed to parquet."""

    pool_rows: int = bounded(100_000, 1, ROWS)  # selection: candidate pool rows
    # selection: rows per pool part file (the real pool is a folder of parts)
    rows_per_part: int = bounded(100_000, 1, ROWS)
    dim: int = bounded(256, 1, DIMS)  # selection: embedding dimension
    test_rows: int = bounded(500, 1, ROWS)  # selection: rows per task's test set
    example_rows: int = bounded(5, 0, ROWS)  # selection: labelled examples per task
    positive_rate: float = bounded(0.05, 0, 1)  # selection: share of pool rows that belong to a task's concept
    debugging_train_rows: int = bounded(300, 1, ROWS)  # debugging: training rows per data_id
    debugging_val_rows: int = bounded(100, 1, ROWS)  # debugging: validation rows per data_id
    debugging_test_rows: int = bounded(500, 1, ROWS)  # debugging: test rows per data_id
    debugging_dim: int = bounded(2048, 1, DIMS)  # debugging: embedding dimension
    noise: float = bounded(0.3, 0, 1, high_open=True)  # debugging: share of training labels flipped
    seed: int = bounded(0, *SEED_RANGE)  # fixes every generated value


@dataclass(frozen=True)
class HttpResource:
    """One file, archive or folder the organizer publishes (download.source: http).

    ``url`` is an http(s) URL, a Google Drive file or folder share link (fetched
    from drive_base_url), or -- for files fetched in a browser -- a ``file:`` URL
    or a local path (relative paths are relative to the data folder).
    """

    url: str
    destination: Literal["selection", "debugging"]  # lands under <output_path>/<destination>/
    kind: Literal["file", "zip", "tar.gz", "folder"] = "file"
    path: str = ""  # file: where it lands (required); archive, folder: subfolder to put it in ("" = destination)
    sha256: str | None = None  # of the published file or archive; strongly recommended (not for folders)
    strip_components: int = bounded(0, 0, 255)  # archive: leading path components dropped from every entry (like tar's)
    files: list[str] = field(default_factory=list)  # folder: fetch only these (paths inside it); [] = all
    # a file the evaluations can do without (the original repository's examples): when it cannot be
    # fetched, download says so in one warning and goes on; a sha256 mismatch stays an error
    optional: bool = False


@dataclass(frozen=True)
class HttpSource:
    """Downloads over HTTP(S); see benchmark/sources/http.py."""

    resources: list[HttpResource] = field(default_factory=list)
    # attempts per resource (connection errors, timeouts, 5xx/429), resumed ones included
    max_tries: int = bounded(5, 1, 100)
    backoff_s: float = bounded(1.0, 0, 300)  # wait before the 2nd attempt; doubles each time (at most 300 s)
    timeout_s: float = bounded(60.0, 0, 3600, low_open=True)  # connect and read timeout of each request
    # wall-clock limit per resource (6 h), every attempt and wait included
    deadline_s: float = bounded(21600.0, 0, SECONDS_LIMIT, low_open=True)
    max_extracted_bytes: int = bounded(20 * 1024**3, 1, 2**50)  # refuse archives that expand to more than this
    drive_base_url: str = "https://drive.google.com"  # where Drive file links are fetched from


@dataclass(frozen=True)
class DownloadParams:
    """Where the download task gets the resources from (and whether it writes example submissions)."""

    source: Literal["demo", "synthetic", "http"] = "demo"  # the section below that download uses
    write_examples: bool = True  # example submissions like the originals' random_500.csv
    demo: DemoSource = field(default_factory=DemoSource)
    synthetic: SyntheticSource = field(default_factory=SyntheticSource)
    http: HttpSource = field(default_factory=HttpSource)


@dataclass(frozen=True)
class SelectionTask:
    """One selection task (concept): its files, relative to data/selection/ (or found at any depth below it)."""

    test_set: str  # alpha_test_set_<Task>_<dim>.parquet: ImageID, Confidence, embedding
    examples: str | None = None  # alpha_example_set_<Task>.csv: the labelled examples the baselines start from


SELECTION_PROTOCOLS = ("strict", "dataperf_2022")


@dataclass(frozen=True)
class SubmissionFiles:
    """Which file of one submission folder is the training set of each task (the original's task_setup.yaml role)."""

    files: dict[str, str] = field(default_factory=dict)  # task -> path inside the submission folder


@dataclass(frozen=True)
class SelectionBaselineParams:
    """The published selection approaches' settings (select_baselines; docs/baselines.md)."""

    fpscv_positives: list[int] = bounded(lambda: [5, 10], 1, 1_000_000)  # FPSCV: budgets of positives...
    # ...and negatives, cross-validated
    fpscv_negatives: list[int] = bounded(lambda: [20, 40, 90], 1, 1_000_000)
    fpscv_folds: int = bounded(5, 1, 100)  # FPSCV: splits at each of the two levels of the nested cross-validation
    fpscv_candidates: int = bounded(1000, 1, ROWS)  # FPSCV: farthest-point-sampled negative candidates
    # pseudo-label generation: rows, an equal share per task's pseudo-class
    pseudo_label_size: int = bounded(999, 1, 1_000_000)
    pseudo_label_hidden: int = bounded(25, 1, 100_000)  # pseudo-label generation: hidden units of the MLP
    uncertainty_size: int = bounded(1000, 1, 1_000_000)  # modified uncertainty sampling: rows
    # modified uncertainty sampling: inverse regularization (almost none)
    uncertainty_C: float = bounded(1.0e6, 0, 1e12, low_open=True)
    # modified uncertainty sampling: negatives ranked below the labelled positives plus this share...
    uncertainty_band_top: float = bounded(0.02, 0, 1)
    uncertainty_band_bottom: float = bounded(0.05, 0, 1)  # ...and above this one


@dataclass(frozen=True)
class SelectionParams:
    """The training-data selection benchmark (evaluate_selection, select_baselines)."""

    pool: str = "embeddings/train_emb_256_dataperf.parquet"  # found at any depth under data/selection
    tasks: dict[str, SelectionTask] = field(default_factory=dict)  # {}: discovered by DataPerf's file names
    max_train_size: int = bounded(1000, 1, 1_000_000)  # most rows a submitted training set may hold (DataPerf: 1,000)
    classifier: dict[str, Any] = field(default_factory=dict)  # LogisticRegression overrides
    # what ranks the leaderboard: the Coactive evaluator's mean F1, or the mean average precision the
    # DataPerf overview names as the selection objective (both are always recorded per task)
    leaderboard_metric: Literal["mean_f1", "mean_average_precision"] = "mean_f1"
    baselines: SelectionBaselineParams = field(default_factory=SelectionBaselineParams)
    # strict: a repeated ImageID or one not in the pool makes the training set invalid; dataperf_2022: the
    # original evaluator's inner join (repeats kept, unknown ImageIDs dropped), each such row in results.yaml
    protocol: Literal[SELECTION_PROTOCOLS] = SELECTION_PROTOCOLS[0]
    submissions: dict[str, SubmissionFiles] = field(default_factory=dict)  # submission name -> its files
    # the select task: methods to run (built-in names, installed entry points, "module:function" or
    # "file.py:function" in the methods folder); None = the built-in baselines, as select_baselines runs
    methods: list[str] | None = None
    method_timeout_s: float | None = bounded(None, 0, SECONDS_LIMIT, low_open=True)  # wall-clock limit of one method call (one task); None = no limit


@dataclass(frozen=True)
class DebuggingDataset:
    """One debugging data set (data_id): its files, relative to data/debugging/ (or found at any depth below it)."""

    train: str  # <data_id>_train_<noise>_<size>.parquet: filename, encoding, label (the noisy labels)
    test: str  # <data_id>_test_<n>.parquet: the same columns, clean labels
    ground_truth: str  # dataset_<data_id>_train.csv: ImageID, hv_label (the clean label of every training row)
    val: str | None = None  # <data_id>_val_<n>.parquet: for the baselines; the scores never use it


@dataclass(frozen=True)
class DebuggingBaselineBudgets:
    """How much work the sampling debugging baselines (debug_baselines) may do per data_id."""

    tmc_permutations: int = bounded(100, 1, 1_000_000)  # TMC-Shapley: sampled permutations
    # TMC-Shapley: truncate once within this share of the full set's utility
    tmc_tolerance: float = bounded(0.01, 0, 1, high_open=True)
    oob_bags: int = bounded(100, 1, 1_000_000)  # Data-OOB: bootstrap samples
    banzhaf_samples: int = bounded(1000, 1, 1_000_000)  # Data Banzhaf: sampled subsets (maximum sample reuse)
    beta_permutations: int = bounded(100, 1, 1_000_000)  # Beta-Shapley: sampled permutations
    # Beta-Shapley: Beta(alpha, beta) weights of the subset sizes (16, 1: small sets)
    beta_alpha: float = bounded(16.0, 0, 1e6, low_open=True)
    beta_beta: float = bounded(1.0, 0, 1e6, low_open=True)
    # Beta-Shapley: subset-size mass left unevaluated (bounds each value's bias)
    beta_tail: float = bounded(0.001, 0, 1, high_open=True)


@dataclass(frozen=True)
class DebuggingParams:
    """The training-data debugging benchmark (evaluate_debugging, debug_baselines)."""

    data_ids: dict[str, DebuggingDataset] = field(default_factory=dict)  # {}: discovered by DataPerf's file names
    # the target is this share of the fully cleaned training set's test accuracy
    target_ratio: float = bounded(0.95, 0, 1, low_open=True)
    classifier: dict[str, Any] = field(default_factory=lambda: dict(DEBUGGING_SETTINGS))  # corrected protocol only
    protocol: Literal[PROTOCOLS] = PROTOCOLS[0]  # corrected | dataperf_2022 (the original's evaluator, needs torch)
    baselines: DebuggingBaselineBudgets = field(default_factory=DebuggingBaselineBudgets)
    methods: list[str] | None = None  # the debug task's methods, as selection.methods
    method_timeout_s: float | None = bounded(None, 0, SECONDS_LIMIT, low_open=True)  # wall-clock limit of one method call (one data_id); None = no limit


@dataclass(frozen=True)
class ExecutionParams:
    """Where evaluation jobs run: joblib on this machine, or a Dask cluster when scheduler is set."""

    n_jobs: int = bounded(1, -1, 256)  # local worker processes; -1 for every core
    scheduler: str | None = None  # e.g. tcp://scheduler:8786
    retries: int = bounded(3, 0, 100)  # Dask: reruns of a job that raised
    # Dask: how long to wait for the scheduler before a one-line error
    connect_timeout_s: float = bounded(30.0, 0, 3600, low_open=True)


@dataclass(frozen=True)
class BootstrapParams:
    """Confidence intervals and paired comparisons over test rows (benchmark/scoring/bootstrap.py), both evaluations."""

    resamples: int = bounded(1000, 0, 100_000)  # 0 switches the bootstrap off: results.yaml then holds no interval keys
    seed: int = bounded(0, *SEED_RANGE)  # with each test set's name, fixes every resample


@dataclass(frozen=True)
class AnalysisParams:
    """The analyses beyond the leaderboard number (docs/analysis.md), written under ``analysis`` in results.yaml.

    Those computed from the leaderboard fits cost nothing; the random expectation, budget curves and
    point removal fit new models (perf/analysis_cost.py measures them) and each can be switched off.
    """

    enabled: bool = True  # false: no analysis section at all
    # RANDOM_DRAWS_RANGE; seeded orders for the random expectation (0: no random/oracle)
    random_draws: int = bounded(50, 0, 10_000)
    # BUDGET_STEP_RANGE; selection budget curves every this many rows (0: off)
    budget_step: int = bounded(100, 0, 100_000)
    point_removal: bool = False  # OpenDataVal's point-removal curves (5 new fits per order and data_id): opt-in
    seed: int = bounded(0, *SEED_RANGE)  # with each data_id, task and submission name, fixes every random order


RANDOM_DRAWS_RANGE = (2, 10_000)
BUDGET_STEP_RANGE = (1, 100_000)  # a step at or above a set's size leaves only the full set: no new fit
PLOT_DPI_RANGE = (50, 600)


@dataclass(frozen=True)
class PlotParams:
    """Figures and report.html (the plot task)."""

    dpi: int = bounded(120, *PLOT_DPI_RANGE)  # the PNGs in report.html are embedded at this resolution
    title: str = "DataPerf vision benchmarks: results"  # heading and <title> of report.html


@dataclass(frozen=True)
class Parameters:
    """The whole file: one section per task group."""

    # Which benchmark the evaluate task (MedPerf's door, docs/medperf.md) scores; null: the one the data
    # folder holds (holding both is an error)
    benchmark: Literal["selection", "debugging"] | None = None
    download: DownloadParams = field(default_factory=DownloadParams)
    selection: SelectionParams = field(default_factory=SelectionParams)
    debugging: DebuggingParams = field(default_factory=DebuggingParams)
    execution: ExecutionParams = field(default_factory=ExecutionParams)
    bootstrap: BootstrapParams = field(default_factory=BootstrapParams)
    analysis: AnalysisParams = field(default_factory=AnalysisParams)
    plot: PlotParams = field(default_factory=PlotParams)


# --------------------------------------------------------------------------- loading
MAX_FILE_BYTES = 1 << 20  # a parameters file is a few KB; refuse anything that could exhaust memory
MAX_DEPTH = 32  # parameters nest about 5 levels; deeper input would exhaust Python's recursion limit
MAX_NODES = 100_000  # after expanding aliases (refuses "billion laughs" files)


def load_parameters(path: str | Path) -> Parameters:
    """Read and validate a parameters file; raise InputError naming the problem."""
    path = Path(path)
    try:
        if not path.is_file():
            raise InputError("parameters file not found" if not path.exists() else "not a file", path)
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"parameters file is larger than {MAX_FILE_BYTES} bytes", path)
        text = path.read_bytes()[:MAX_FILE_BYTES + 1].decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("parameters file is not UTF-8 text", path) from None
    except OSError as exc:
        raise InputError(f"cannot read the parameters file ({exc.strerror or type(exc).__name__})", path) from None
    raw = strict_yaml(text, path)
    if raw is None:
        raw = {}
    params = _build(Parameters, raw, "", path)
    _check_semantics(params, path)
    return params


class StrictLoader(yaml.SafeLoader):
    """YAML as written: keys stay the strings in the file, duplicates and deep nesting are errors.

    PyYAML's SafeLoader follows YAML 1.1, which would turn a task named ``No`` into
    ``False`` and a data_id ``0123`` into 83, and keeps the last of two equal keys
    silently. Here a mapping key is always the key's text, a repeated key names
    both lines, and nesting is bounded so hostile input cannot exhaust the stack.
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(None, None, "expected a mapping", node.start_mark)
        first_line: dict[str, int] = {}
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise yaml.constructor.ConstructorError(
                    None, None, "merge keys (<<) are not supported", key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain name, not a list or mapping", key_node.start_mark)
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in first_line:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {excerpt(key)} on lines {first_line[key]} and {line}",
                    key_node.start_mark)
            first_line[key] = line
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


StrictLoader.add_constructor("tag:yaml.org,2002:map", lambda loader, node: loader.construct_mapping(node, deep=True))


def strict_yaml(text: str, path: Path) -> Any:
    """Parse YAML text with :class:`StrictLoader`; every problem is one InputError with its line."""
    try:
        loader = StrictLoader(text)  # the reader refuses control characters here, before any parsing
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise InputError(f"invalid YAML: character {_codepoint(exc.character)} is not allowed in YAML "
                         "(of the control characters, only tab and line breaks are)", path, line) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node, path)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise InputError(f"invalid YAML: {problem}", path, line) from None
    finally:
        loader.dispose()


def _codepoint(character: Any) -> str:
    code = character if isinstance(character, int) else ord(character)
    return f"U+{code:04X}"


def _check_size(root: Any, path: Path) -> None:
    """Refuse aliases that refer to themselves or expand to more than MAX_NODES nodes."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise InputError("invalid YAML: an alias refers to its own anchor", path, node.start_mark.line + 1)
        active.add(key)
        if isinstance(node, yaml.ScalarNode):
            total = 1
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(child) for child in node.value)
        else:
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        active.discard(key)
        if total > MAX_NODES:
            raise InputError(f"invalid YAML: more than {MAX_NODES} values once aliases are expanded", path)
        sizes[key] = total
        return total

    size(root)


def parameters_from_dict(raw: dict[str, Any], source: str = "<parameters>") -> Parameters:
    """Validate parameters given as a dict (for notebooks and tests)."""
    params = _build(Parameters, raw, "", Path(source))
    _check_semantics(params, Path(source))
    return params


def _build(cls: type, raw: Any, where: str, path: Path) -> Any:
    if not isinstance(raw, dict):
        raise InputError(f"{where or 'top level'}: expected a mapping, got {_kind(raw)}", path)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(map(str, raw)) - set(fields))
    if unknown:
        raise InputError(
            f"unknown key {_join(where, unknown[0])!r} (allowed: {', '.join(sorted(fields))})", path
        )
    hints = typing.get_type_hints(cls)
    values = {}
    for name, f in fields.items():
        key = _join(where, name)
        if name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise InputError(f"missing required key {key!r}", path)
            continue
        values[name] = _convert(hints[name], raw[name], key, path, f.metadata.get(RANGE))
    return cls(**values)


def numeric_fields_without_range(cls: type | None = None, where: str = "") -> list[str]:
    """Keys of numeric parameters (also inside dicts and lists) that declare no range: must be none."""
    cls = cls or Parameters
    missing = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = _join(where, f.name)
        inner = [hints[f.name]]
        while inner:
            tp = inner.pop()
            if dataclasses.is_dataclass(tp):
                missing += numeric_fields_without_range(tp, key)
            elif tp in (int, float) and RANGE not in f.metadata:
                missing.append(key)
            else:
                inner += [a for a in typing.get_args(tp) if a is not type(None) and not isinstance(a, str)]
    return sorted(set(missing))


def _convert(tp: Any, value: Any, key: str, path: Path, bounds: Range | None = None) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(inner, value, key, path, bounds)
    if origin is Literal:
        if value not in args:
            raise InputError(f"{key}: {value!r} is not one of {', '.join(map(str, args))}", path)
        return value
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key, path)
    if origin is dict:
        if not isinstance(value, dict):
            raise InputError(f"{key}: expected a mapping, got {_kind(value)}", path)
        key_type, value_type = args
        if value_type is Any:
            return {str(k): v for k, v in value.items()}
        return {str(k): _convert(value_type, v, f"{key}.{k}", path, bounds) for k, v in value.items()}
    if origin is list:
        if not isinstance(value, list):
            raise InputError(f"{key}: expected a list, got {_kind(value)}", path)
        return [_convert(args[0], v, f"{key}[{i}]", path, bounds) for i, v in enumerate(value)]
    if tp is bool:
        if not isinstance(value, bool):
            raise InputError(f"{key}: expected true or false, got {_kind(value)}", path)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{key}: expected an integer, got {_kind(value)}", path)
        return _in_range(value, bounds, key, path)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"{key}: expected a finite number, got {_kind(value)}", path)
        return _in_range(float(value), bounds, key, path)
    if tp is str:
        if not isinstance(value, str) or not value:
            raise InputError(f"{key}: expected a non-empty string, got {_kind(value)}", path)
        return value
    raise TypeError(f"unsupported parameter type {tp!r}")  # a bug in this module, not user input


def _in_range(value: int | float, bounds: Range | None, key: str, path: Path) -> Any:
    if bounds is None:  # a field declared without bounded(): tests/test_hostile_inputs_2.py fails for it
        return value
    if value not in bounds:
        raise InputError(f"{key} must be {bounds}", path)
    return value


def _check_semantics(p: Parameters, path: Path) -> None:
    def need(ok: bool, message: str) -> None:
        if not ok:
            raise InputError(message, path)

    # Every number's range is declared with its field (bounded()) and checked as it is read;
    # what is left here relates values to each other or to names.
    sb = p.selection.baselines
    for name in ("fpscv_positives", "fpscv_negatives"):
        need(len(getattr(sb, name)) >= 1, f"selection.baselines.{name} must list at least one budget, each at least 1")
    need(sb.uncertainty_band_top < sb.uncertainty_band_bottom,
         "selection.baselines: need 0 <= uncertainty_band_top < uncertainty_band_bottom <= 1")
    need(p.execution.n_jobs != 0, "execution.n_jobs must not be 0 (use -1 for all cores)")
    need(p.execution.scheduler is None or scheduler_address_ok(p.execution.scheduler),
         "execution.scheduler: expected a Dask scheduler address such as tcp://scheduler:8786 "
         f"(scheme {', '.join(SCHEDULER_SCHEMES)}, a host and a port)")
    a = p.analysis  # 0 switches each off; otherwise the range of its *_RANGE (bounded() allows 0 too)
    low, high = RANDOM_DRAWS_RANGE
    need(a.random_draws == 0 or low <= a.random_draws <= high,
         f"analysis.random_draws must be 0 (off) or between {low} and {high}")
    low, high = BUDGET_STEP_RANGE
    need(a.budget_step == 0 or low <= a.budget_step <= high,
         f"analysis.budget_step must be 0 (off) or between {low} and {high}")
    for name in p.selection.tasks:
        need(is_task_name(name), f"selection.tasks: {name!r} is not a valid task name (letters, digits, - and _)")
    for name, mapping in p.selection.submissions.items():
        need(bool(mapping.files), f"selection.submissions.{name}.files: expected a mapping of task to file")
        for task, rel in mapping.files.items():
            parts = rel.replace("\\", "/").split("/")
            need(not rel.startswith(("/", "\\")) and ":" not in rel and ".." not in parts,
                 f"selection.submissions.{name}.files.{task}: expected a path inside the submission folder")
    for data_id in p.debugging.data_ids:
        need(is_data_id(data_id),
             f"debugging.data_ids: {data_id!r} is not a valid data_id (letters, digits and -)")
    for group, mapping in (("selection.classifier", p.selection.classifier),
                           ("debugging.classifier", p.debugging.classifier)):
        problem = check_classifier_settings(mapping)
        need(problem is None, f"{group}: {problem}")
    if p.download.source == "demo":
        for name, pair in p.download.demo.pairs.items():
            need(len(pair) == 2 and pair[0] != pair[1], f"download.demo.pairs.{name}: expected two different digits")
    _check_http(p.download.http, p.download.source == "http", need)


def _check_http(h: HttpSource, active: bool, need: Any) -> None:
    need(not active or bool(h.resources), "download.source is http but download.http.resources lists nothing")
    need(h.drive_base_url.startswith(("http://", "https://")) and "?" not in h.drive_base_url,
         "download.http.drive_base_url: expected an http(s) URL without a query")
    files: dict[tuple[str, str], int] = {}
    for i, r in enumerate(h.resources):
        key = f"download.http.resources[{i}]"
        need(_http_url(r.url) or _local_url(r.url),
             f"{key}.url: expected an http:// or https:// URL with a host, a file: URL or a local path")
        need(r.kind != "file" or bool(r.path), f"{key}: a file needs a path")
        need(r.kind != "folder" or (r.sha256 is None and r.strip_components == 0),
             f"{key}: a folder has no single sha256 or strip_components (they apply to files and archives)")
        need(r.kind == "folder" or not r.files, f"{key}.files applies to folders only")
        need(all(f and ".." not in f.replace("\\", "/").split("/") and not f.startswith("/") for f in r.files),
             f"{key}.files: expected paths inside the folder")
        parts = r.path.replace("\\", "/").split("/")
        need(not r.path or (not r.path.startswith(("/", "\\")) and ":" not in r.path and ".." not in parts),
             f"{key}.path: expected a relative path inside the destination")
        need(r.sha256 is None or (len(r.sha256) == 64 and all(c in "0123456789abcdef" for c in r.sha256.lower())),
             f"{key}.sha256: expected 64 hex digits")
        need(r.kind != "file" or r.strip_components == 0, f"{key}: strip_components applies to archives only")
        if r.kind == "file":
            target = (r.destination, "/".join(p for p in parts if p not in ("", ".")))
            need(target not in files, f"{key}: same destination path as resources[{files.get(target)}]")
            files[target] = i


SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
def scheduler_address_ok(address: str) -> bool:
    """``scheme://host:port`` (or ``host:port``, which Dask reads as tcp) with a port in 1..65535."""
    from urllib.parse import urlsplit

    text = address if "://" in address else f"tcp://{address}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return False
    return (parts.scheme in SCHEDULER_SCHEMES and bool(parts.hostname) and port is not None and 0 < port
            and parts.path in ("", "/") and not parts.query and not parts.fragment and not parts.username)


def _http_url(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # e.g. a bad port or IPv6 literal
        return False


def _local_url(url: str) -> bool:
    """A file: URL or a path on this machine (a resource fetched in a browser), not another URL scheme."""
    from urllib.parse import urlsplit

    if url.startswith("file:"):
        return bool(urlsplit(url).path)
    return "://" not in url and bool(url.strip())


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**40:
        return "int " + excerpt(value)
    return f"{type(value).__name__} {printable(repr(value), 60)}"
