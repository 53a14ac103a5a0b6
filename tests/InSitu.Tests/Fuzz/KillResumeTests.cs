using InSitu.Data;
using InSitu.Models;
using InSitu.Reports;
using InSitu.Training;
using Xunit.Abstractions;

namespace InSitu.Tests.Fuzz;

/// <summary>
/// A run killed at random instants (inside an epoch, at an epoch's end before its checkpoint, and between the files of
/// a checkpoint), resumed with --resume each time until it finishes, ends with the weights and optimizer state of a
/// run never interrupted, bit for bit. The kill is an exception thrown at that instant, in-process.
/// </summary>
[Trait("Category", "Fuzz")]
public class KillResumeTests(ITestOutputHelper output) : TempFolderTest
{
    private sealed class Killed(string where) : Exception($"killed at {where}");

    /// <summary>Counts the instants a run passes and kills it at the <paramref name="target"/>-th one (never, if negative).</summary>
    private sealed class Killer(int target) : ITrainerCallback
    {
        public int Seen { get; private set; }

        public void Tick(string where)
        {
            if (Seen++ == target) throw new Killed(where);
        }

        public void OnBatch(TrainerContext context, BatchProgress progress) => Tick($"epoch {progress.Epoch} batch {progress.Batch}");

        public void OnEpochEnd(TrainerContext context, EpochMetrics metrics) =>
            Tick($"end of epoch {metrics.Epoch}, before its checkpoint");
    }

    private static (Tensor x, Tensor y) Data(int n, int seed)
    {
        TorchRuntime.ManualSeed((ulong)seed);
        var y = Factory.RandInt(0, 3, new long[] { n });
        var x = Factory.Randn(new long[] { n, 1, 16, 16 }).Add(y.Cast(DType.Float32).View(n, 1, 1, 1).Mul(0.5));
        return (x.DetachFromScope(), y.DetachFromScope());
    }

    /// <summary>Trains (or resumes) in <paramref name="runDir"/>; returns how many instants the run passed.</summary>
    private static int Fit(string runDir, bool resume, int killAt, (Tensor x, Tensor y) train, (Tensor x, Tensor y) val,
        TrainingConfig config)
    {
        TorchRuntime.ManualSeed(9);
        using var model = new ResNet(ResNetConfig.Paper(1, 3, 16, 16, baseWidth: 2) with { PoolSize = 2 });
        var task = new ClassificationTask(model, new TensorBatchSource(val.x, val.y, 64, shuffle: false));
        var trainer = new Trainer<ImageBatch>(task, new TensorBatchSource(train.x, train.y, config.BatchSize, seed: config.Seed), config,
            new RunDirectory(runDir));
        var killer = new Killer(killAt);
        trainer.Callbacks.Insert(0, killer);
        Checkpoints.FaultInjection = step => killer.Tick($"checkpoint step '{step}'");
        try
        {
            trainer.Fit(resume);
        }
        finally
        {
            Checkpoints.FaultInjection = null;
        }
        return killer.Seen;
    }

    /// <summary>The weights and optimizer state of the checkpoint that checkpoint.json names, as exact bit patterns.</summary>
    private static Dictionary<string, long[]> FinalState(string runDir)
    {
        var state = new RunDirectory(runDir).ReadJson<TrainingState>(Checkpoints.StateFile);
        var result = new Dictionary<string, long[]>();
        foreach (var file in new[] { "model.pt", "optimizer.pt" })
        {
            var tensors = Serialization.Load(Path.Combine(runDir, state.Folder, file));
            foreach (var (key, t) in tensors)
            {
                // float64 holds every float32 and int64 below 2^53 exactly; the bits are compared, NaN included
                result[$"{file}:{key}"] = t.Cast(DType.Float64).ToArray<double>().Select(BitConverter.DoubleToInt64Bits).ToArray();
                t.Dispose();
            }
        }
        result["epochs"] = new long[] { state.CompletedEpochs, state.History.Count };
        return result;
    }

    [Fact]
    public void KilledAtRandomInstantsThenResumedEndsBitIdentical()
    {
        var train = Data(24, 1);
        var val = Data(8, 2);
        // momentum and a late milestone: the last epochs change the weights and the optimizer's buffers
        var config = new TrainingConfig { Epochs = 4, BatchSize = 8, Milestones = new[] { 3 }, Seed = 5, LearningRate = 0.05 };
        string straight = Path.Combine(dir, "straight"), killed = Path.Combine(dir, "killed");
        int instants = Fit(straight, resume: false, killAt: -1, train, val, config);
        var expected = FinalState(straight);

        var random = new Random(FuzzHarness.Seed);
        // `make fuzz`: a fifth of its cases per class, as each round is a whole training run
        int rounds = Math.Max(3, FuzzHarness.Cases(3) / 5), identical = 0, totalKills = 0;
        var failures = new List<string>();
        for (int round = 0; round < rounds; round++)
        {
            var runDir = $"{killed}-{round}";
            var kills = new List<string>();
            for (int attempt = 0; ; attempt++)
            {
                Assert.True(attempt < 200, $"round {round}: still not finished after 200 resumes");
                // early kills are likelier, so runs are killed several times in a row; the first attempt is a fresh start
                int at = random.Next(0, Math.Max(1, instants / 3));
                try
                {
                    Fit(runDir, resume: attempt > 0, at, train, val, config);
                    break;
                }
                catch (Killed e)
                {
                    kills.Add(e.Message);
                }
            }
            output.WriteLine($"round {round}: {kills.Count} kills: {string.Join("; ", kills)}");
            totalKills += kills.Count;
            var actual = FinalState(runDir);
            var differing = expected.Keys.Where(k => !actual.TryGetValue(k, out var v) || !expected[k].SequenceEqual(v)).ToList();
            if (differing.Count == 0 && actual.Count == expected.Count) identical++;
            else failures.Add($"  Silent: round {round}: {string.Join(", ", differing.Take(5))} differ after {string.Join("; ", kills)}");
        }
        FuzzHarness.Report(output, new[]
        {
            $"fuzz kill-resume: seed {FuzzHarness.Seed}, cases {rounds} (runs with {totalKills} kills), clean {identical}, crash 0, " +
            $"silent {rounds - identical}, hang 0",
        }.Concat(failures));
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.True(totalKills >= 2 * rounds, $"only {totalKills} kills in {rounds} runs");
        Assert.True(instants > 20, $"the run passed only {instants} instants");
    }
}
