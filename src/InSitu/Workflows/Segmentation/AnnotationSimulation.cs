using System.Diagnostics;
using InSitu.Common;
using InSitu.Data;
using InSitu.Evaluation;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Workflows.Segmentation;

/// <summary>How simulated annotators mark a patch: see <see cref="StrokeSimulator"/>.</summary>
public enum StrokeMode
{
    /// <summary>The given share of each object and background area, from its centre out (<see cref="StrokeSimulator.Annotate"/>).</summary>
    Cores,
    /// <summary>Random brush strokes inside each class's area (<see cref="StrokeSimulator.Scribble"/>).</summary>
    Scribbles,
}

/// <summary>What `segment simulate` replays (METHODS.md §6, seed 003's experiment).</summary>
public sealed record SimulationOptions
{
    /// <summary>The image and its full ground truth (grey class numbers; 255 = unknown).</summary>
    public required string Image { get; init; }
    public required string Truth { get; init; }
    public required string OutDir { get; init; }
    /// <summary>
    /// Model and training of every round; <c>scale</c> is the working scale and <c>patch_size</c> the patch at that scale.
    /// </summary>
    public SegmentationConfig Config { get; init; } = SegmentationConfig.Demo;
    public int Seeds { get; init; } = 3;
    /// <summary>Rounds: training patches from 1 up to this many.</summary>
    public int Patches { get; init; } = 15;
    public int TestPatches { get; init; } = 2;
    public UncertaintyRule Rule { get; init; } = UncertaintyRule.Entropy;
    /// <summary>Share of each object's (and background area's) pixels the simulated strokes annotate, from its centre out.</summary>
    public double StrokeFraction { get; init; } = 0.5;
    public StrokeMode Strokes { get; init; } = StrokeMode.Cores;
    /// <summary>
    /// Truth value v becomes class ClassMap[v] (e.g. [0, 1, 0]: large cells against everything else); null keeps the values.
    /// </summary>
    public int[]? ClassMap { get; init; }
    /// <summary>The class whose IoU is the headline (seed 003: the large cells).</summary>
    public int TargetClass { get; init; } = 1;
    /// <summary>Each round starts from the previous round's model (the annotator's model keeps learning) instead of from scratch.</summary>
    public bool WarmStart { get; init; } = true;
    /// <summary>Epochs of a warm-started round (null: the config's epochs).</summary>
    public int? WarmEpochs { get; init; }
    public bool Resume { get; init; }

    public void Validate()
    {
        Config.Validate();
        if (Seeds is < 1 or > 100) throw new ArgumentException($"seeds must be 1..100 (got {Seeds})");
        if (Patches is < 1 or > 1000) throw new ArgumentException($"patches must be 1..1000 (got {Patches})");
        if (TestPatches is < 1 or > 100) throw new ArgumentException($"test patches must be 1..100 (got {TestPatches})");
        if (StrokeFraction is <= 0 or > 1) throw new ArgumentException($"the stroke fraction must be in (0, 1] (got {StrokeFraction})");
        if (WarmEpochs is < 1) throw new ArgumentException("warm epochs must be at least 1");
        if (ClassMap is { } map && (map.Length == 0 || map.Any(c => c is < 0 or > 254)))
            throw new ArgumentException("the class map needs one class 0..254 per truth value");
    }
}

/// <summary>One round of one strategy: what it trained on and what it measured on the unused patches.</summary>
public sealed record SimulationRound(int Round, int TrainPatches, int UnusedPatches, double TargetIou, double TargetDice, double MeanIou,
    double MeanDice, double[] Iou, double[] Dice, int Epochs, double Seconds, int Next);

/// <summary>Learning curves over seeds: per number of training patches, mean and std of the target class's IoU and Dice.</summary>
public sealed record SimulationCurve(string Strategy, int[] Patches, double[] MeanIou, double[] StdIou, double[] MeanDice, double[] StdDice,
    double[] MeanOverClassesIou, int[] Seeds);

public sealed record SimulationResult(string Report, IReadOnlyList<SimulationCurve> Curves, string[] ClassNames, int Cells, double Seconds);

/// <summary>
/// `segment simulate`: seed 003's interactive annotation replayed on an image with full ground truth. The image (at the
/// working scale) is cut into a grid of patch cells. Per seed: 1 training and 2 test patches, drawn at random among
/// cells showing at least two classes; every round the model is trained (strokes only: <see cref="StrokeSimulator"/>;
/// early stopping and backtracking on the test patches), evaluated on every unused cell against the full truth (IoU and
/// Dice, pooled over those pixels), and one more cell is annotated: the most uncertain one by the active rule, or, as
/// the control, a random one. Round 1 is shared by both strategies. State is saved after every round
/// (simulation.json), so an interrupted simulation resumes at its last round, and a round cut short resumes from its
/// training checkpoint.
/// </summary>
public sealed class AnnotationSimulation
{
    public const string Active = "active", Random = "random";
    private const int Unlabelled = SegmentationData.Unlabelled;

    /// <summary>Called with a line of news (a round finished).</summary>
    public Action<string>? Log { get; init; }
    public Action<BatchProgress>? Progress { get; init; }

    private sealed class State
    {
        public string Settings { get; set; } = "";
        public int Classes { get; set; }
        public string[] ClassNames { get; set; } = [];
        public int Rows { get; set; }
        public int Columns { get; set; }
        public int Cell { get; set; }
        public List<SeedState> Seeds { get; set; } = new();
    }

    private sealed class SeedState
    {
        public int Seed { get; set; }
        public int[] Test { get; set; } = [];
        public Dictionary<string, List<SimulationRound>> Rounds { get; set; } = new();

        public List<int> Picks(string strategy, int first)
        {
            var picks = new List<int> { first };
            var rounds = Rounds.GetValueOrDefault(strategy) ?? [];
            foreach (var r in rounds) picks.Add(r.Next);
            return picks;
        }
    }

    private sealed record Working(string Image, int[] Truth, int Height, int Width, int Classes);

    public SimulationResult Run(SimulationOptions options, CancellationToken cancel = default)
    {
        options.Validate();
        var watch = Stopwatch.StartNew();
        var run = new RunDirectory(options.OutDir);
        var settings = JsonSettings.Serialize(options with
        {
            OutDir = "",
            Resume = false,
            Image = Path.GetFullPath(options.Image),
            Truth = Path.GetFullPath(options.Truth)
        });
        State state;
        if (options.Resume && File.Exists(run.File("simulation.json")))
        {
            state = run.ReadJson<State>("simulation.json");
            if (state.Settings != settings)
                throw new InvalidDataException($"{run.File("simulation.json")}: cannot resume with changed settings; use the original " +
                    "settings, or a new output folder");
        }
        else state = new State { Settings = settings };
        run.WriteText("options.json", settings);
        var data = Prepare(options, run);
        var config = options.Config with { Scale = 1, Classes = data.Classes, ClassNames = [] };
        var grid = new PatchGrid(data.Height, data.Width, config.PatchSize);
        if (grid.Count < 1 + options.TestPatches + 1)
            throw new InvalidDataException($"the image is cut into {grid.Count} patch cell(s) of {config.PatchSize} pixels at scale " +
                $"{options.Config.Scale}; the simulation needs at least {options.TestPatches + 2}: use a larger image or smaller patches");
        if (options.TargetClass >= data.Classes)
            throw new ArgumentException($"target class {options.TargetClass} is not among the truth's {data.Classes} classes");
        (state.Classes, state.Rows, state.Columns, state.Cell) = (data.Classes, grid.Rows, grid.Columns, grid.Cell);
        state.ClassNames = options.Config.ClassNames.Length == data.Classes ? options.Config.ClassNames
            : Enumerable.Range(0, data.Classes).Select(c => $"class{c}").ToArray();
        int patches = Math.Min(options.Patches, grid.Count - options.TestPatches);
        for (int seed = 1; seed <= options.Seeds; seed++)
        {
            var seedState = state.Seeds.FirstOrDefault(s => s.Seed == seed);
            if (seedState is null)
            {
                seedState = new SeedState { Seed = seed };
                state.Seeds.Add(seedState);
            }
            var start = Start(data, grid, seed, options.TestPatches);
            seedState.Test = start[1..];
            for (int round = 1; round <= patches; round++)
                foreach (var strategy in round == 1 ? new[] { Active } : new[] { Active, Random })
                {
                    var rounds = seedState.Rounds.TryGetValue(strategy, out var list) ? list : seedState.Rounds[strategy] = [];
                    if (rounds.Count >= round) continue;
                    cancel.ThrowIfCancellationRequested();
                    var picks = seedState.Picks(strategy, start[0]);
                    if (strategy == Random && round == 2 && rounds.Count == 0)
                    {
                        // round 1 is shared: the random strategy's second pick is its own
                        var shared = seedState.Rounds[Active][0];
                        rounds.Add(shared with { Next = RandomPick(grid, picks.Take(1).ToList(), seedState.Test, seed, 1) });
                        picks = seedState.Picks(strategy, start[0]);
                    }
                    var result = RunRound(options, config, data, grid, run, seed, strategy, round, picks, seedState.Test, patches, cancel);
                    rounds.Add(result);
                    run.WriteJson("simulation.json", state);
                    Log?.Invoke($"seed {seed}, {strategy}, {round} training patch(es): IoU of class {options.TargetClass} " +
                        $"{result.TargetIou:F3}, mean IoU {result.MeanIou:F3} on {result.UnusedPatches} unused patches " +
                        $"({result.Epochs} epochs, {result.Seconds:F0} s)");
                }
        }
        var curves = new[] { Curve(state, Active, patches, options.TargetClass), Curve(state, Random, patches, options.TargetClass) };
        run.WriteJson("curves.json",
            new { rule = options.Rule, target_class = options.TargetClass, class_names = state.ClassNames, curves });
        var report = SimulationReport.Write(run, options, config, data.Image, grid, curves, state.ClassNames,
            state.Seeds.Select(s => (s.Seed, s.Test, s.Picks(Active, Start(data, grid, s.Seed, options.TestPatches)[0]),
                s.Picks(Random, Start(data, grid, s.Seed, options.TestPatches)[0]))).ToList(), patches, cancel);
        return new SimulationResult(report, curves, state.ClassNames, grid.Count, watch.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The working image and truth (class-mapped, at the working scale: the image area-averaged, the truth by nearest
    /// neighbour), written once to data/.
    /// </summary>
    private static Working Prepare(SimulationOptions o, RunDirectory run)
    {
        var dir = run.Subfolder("data");
        var imagePath = Path.Combine(dir, "image.png");
        using var scope = TorchRuntime.NewDisposeScope();
        var hwc = ImagePipeline.Read(o.Image, o.Config.Gray);
        int h = (int)hwc.Shape[0], w = (int)hwc.Shape[1];
        var raw = LabelImage.Read(o.Truth, 256, null, 256);
        if (raw.Height != h || raw.Width != w)
            throw new InvalidDataException($"truth '{o.Truth}' is {raw.Width}x{raw.Height} but its image '{o.Image}' is {w}x{h}");
        var truth = new int[raw.Labels.Length];
        int classes = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            int v = raw.Labels[i];
            if (v == Unlabelled) truth[i] = Unlabelled;
            else if (o.ClassMap is { } map)
            {
                if (v >= map.Length)
                    throw new InvalidDataException($"truth '{o.Truth}' has value {v} at x={i % w}, y={i / w}, which the class map " +
                        $"({map.Length} values) does not map");
                truth[i] = map[v];
            }
            else truth[i] = v;
            if (truth[i] != Unlabelled) classes = Math.Max(classes, truth[i] + 1);
        }
        if (classes < 2) throw new InvalidDataException($"truth '{o.Truth}' holds fewer than 2 classes");
        int sh = Math.Max(1, (int)Math.Round(h * o.Config.Scale)), sw = Math.Max(1, (int)Math.Round(w * o.Config.Scale));
        if (sh != h || sw != w)
        {
            hwc = ImageIO.Resize(hwc.Contiguous(), sh, sw, interpolation: 3);
            if (hwc.Dim == 2) hwc = hwc.Unsqueeze(2);
            var scaled = new int[sh * sw];
            for (int y = 0; y < sh; y++)
                for (int x = 0; x < sw; x++)
                    scaled[y * sw + x] = truth[Math.Min(h - 1, (int)((y + 0.5) * h / sh)) * w + Math.Min(w - 1, (int)((x + 0.5) * w / sw))];
            truth = scaled;
        }
        if (hwc.DType != DType.UInt8) hwc = hwc.Mul(255.0).Round().Clamp(0, 255).Cast(DType.UInt8);
        ImageIO.Write(imagePath, hwc.Contiguous());
        SegmentationData.WriteLabels(Path.Combine(dir, "truth.png"), truth, sw, sh);
        return new Working(imagePath, truth, sh, sw, classes);
    }

    /// <summary>The first training cell and the test cells of a seed: a seeded draw among cells showing at least two classes.</summary>
    private static int[] Start(Working data, PatchGrid grid, int seed, int tests)
    {
        var varied = Enumerable.Range(0, grid.Count).Where(c =>
        {
            var (x, y, w, h) = grid.Rect(c);
            int first = -1;
            for (int yy = y; yy < y + h; yy++)
                for (int xx = x; xx < x + w; xx++)
                {
                    int v = data.Truth[yy * data.Width + xx];
                    if (v == Unlabelled) continue;
                    if (first < 0) first = v;
                    else if (v != first) return true;
                }
            return false;
        }).ToArray();
        var pool = varied.Length >= tests + 1 ? varied : Enumerable.Range(0, grid.Count).ToArray();
        var r = new SeededRandom((ulong)seed * 0x9E3779B97F4A7C15UL + 11);
        for (int i = pool.Length - 1; i > 0; i--)
        {
            int j = r.Int(i + 1);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool.Take(tests + 1).ToArray();
    }

    private static int RandomPick(PatchGrid grid, List<int> train, int[] test, int seed, int round)
    {
        var unused = Enumerable.Range(0, grid.Count).Where(c => !train.Contains(c) && !test.Contains(c)).ToList();
        var r = new SeededRandom((ulong)seed * 7919 + (ulong)round * 104729 + 5);
        return unused[r.Int(unused.Count)];
    }

    private SimulationRound RunRound(SimulationOptions o, SegmentationConfig config, Working data, PatchGrid grid, RunDirectory run,
        int seed, string strategy, int round, List<int> picks, int[] test, int patches, CancellationToken cancel)
    {
        var watch = Stopwatch.StartNew();
        var folder = RoundFolder(run, seed, strategy, round);
        Directory.CreateDirectory(folder);
        var train = picks.Take(round).ToList();
        var labels = Strokes(data, grid, train, o, seed);
        var val = Strokes(data, grid, test, o, seed);
        SegmentationData.WriteLabels(Path.Combine(folder, "labels.png"), labels, data.Width, data.Height);
        SegmentationData.WriteLabels(Path.Combine(folder, "test.png"), val, data.Width, data.Height);
        bool warm = o.WarmStart && round > 1;
        var roundConfig = warm && o.WarmEpochs is { } e ? config with { Training = config.Training with { Epochs = e } } : config;
        var trained = SegmentationTraining.Train(new SegmentationTrainRequest
        {
            Pairs = [new PatchPair(data.Image, Path.Combine(folder, "labels.png"))],
            Validation = [new PatchPair(data.Image, Path.Combine(folder, "test.png"))],
            OutDir = Path.Combine(folder, "train"),
            Config = roundConfig,
            Seed = seed * 1000 + round,
            Resume = true,
            InitialModel = warm ? Path.Combine(RoundFolder(run, seed, strategy, round - 1), "train") : null,
            Report = false,
        }, Progress, cancel);
        using var model = SegmentationModel.Load(trained.ModelPath);
        var unused = Enumerable.Range(0, grid.Count).Where(c => !train.Contains(c) && !test.Contains(c)).ToHashSet();
        var confusion = new ConfusionMatrix(data.Classes);
        var sums = new UncertaintySums(grid);
        int mc = o.Rule == UncertaintyRule.Disagreement ? Math.Max(2, config.McSamples) : 0;
        using (var scope = TorchRuntime.NewDisposeScope())
        {
            var hwc = ImagePipeline.Read(data.Image, config.Gray);
            var predicted = new List<long>();
            var truth = new List<long>();
            SegmentationPredictor.Stream(model, hwc, new PredictOptions { McSamples = mc }, (y, planes) =>
            {
                sums.Add(y, planes, data.Classes, data.Width);
                predicted.Clear();
                truth.Clear();
                for (int x = 0; x < data.Width; x++)
                {
                    int cell = grid.At(y, x);
                    int t = data.Truth[y * data.Width + x];
                    if (cell < 0 || !unused.Contains(cell) || t == Unlabelled) continue;
                    predicted.Add(SegmentationPredictor.ArgMax(planes, data.Classes, data.Width, x));
                    truth.Add(t);
                }
                confusion.Add(predicted.ToArray(), truth.ToArray());
            }, cancel);
        }
        var scores = Overlap.PerClass(confusion);
        int next = -1;
        if (round < patches)
            next = strategy == Random ? RandomPick(grid, train, test, seed, round)
                : unused.OrderByDescending(c => sums.Score("", c, mc > 0).Score(o.Rule)).ThenBy(c => c).First();
        // keep the model and curves of a finished round, not its checkpoints
        foreach (var d in Directory.EnumerateDirectories(Path.Combine(folder, "train"), "checkpoint-*")) Directory.Delete(d, true);
        return new SimulationRound(round, round, unused.Count, scores.IoU[o.TargetClass], scores.Dice[o.TargetClass], scores.MacroIoU,
            scores.MacroDice, scores.IoU, scores.Dice, trained.History.Count, watch.Elapsed.TotalSeconds, next);
    }

    private static string RoundFolder(RunDirectory run, int seed, string strategy, int round) =>
        round == 1 ? run.File(Path.Combine($"seed-{seed}", "round-01")) : run.File(Path.Combine($"seed-{seed}", strategy,
            $"round-{round:D2}"));

    /// <summary>Simulated strokes in the given cells, 255 elsewhere.</summary>
    private static int[] Strokes(Working data, PatchGrid grid, IEnumerable<int> cells, SimulationOptions o, int seed)
    {
        var labels = new int[data.Truth.Length];
        Array.Fill(labels, Unlabelled);
        foreach (var c in cells)
            if (o.Strokes == StrokeMode.Cores)
                StrokeSimulator.Annotate(data.Truth, data.Width, data.Height, grid.Rect(c), o.StrokeFraction, labels, Unlabelled);
            else StrokeSimulator.Scribble(data.Truth, data.Width, data.Height, grid.Rect(c), o.StrokeFraction, labels, Unlabelled, seed);
        return labels;
    }

    private static SimulationCurve Curve(State state, string strategy, int patches, int target)
    {
        var seeds = state.Seeds.Where(s => s.Rounds.ContainsKey(strategy) || s.Rounds.ContainsKey(Active)).ToList();
        var x = Enumerable.Range(1, patches).ToArray();
        IEnumerable<SimulationRound> At(int round) => seeds
            .Select(s => (s.Rounds.GetValueOrDefault(round == 1 ? Active : strategy) ?? []).FirstOrDefault(r => r.Round == round))
            .Where(r => r is not null)!;
        var iou = x.Select(r => MeanStd.Of(At(r).Select(v => v.TargetIou).ToList())).ToArray();
        var dice = x.Select(r => MeanStd.Of(At(r).Select(v => v.TargetDice).ToList())).ToArray();
        var mean = x.Select(r => At(r).Select(v => v.MeanIou).DefaultIfEmpty(double.NaN).Average()).ToArray();
        return new SimulationCurve(strategy, x, iou.Select(v => v.Mean).ToArray(), iou.Select(v => v.Std).ToArray(),
            dice.Select(v => v.Mean).ToArray(), dice.Select(v => v.Std).ToArray(), mean, x.Select(r => At(r).Count()).ToArray());
    }
}
