using System.Text.Json;
using InSitu.Data;
using InSitu.Reports;
using InSitu.Torch.NN;
using InSitu.Training;

namespace InSitu.Tests.Training;

/// <summary>Backtracking on validation (seed 003): back to the best weights at a smaller rate, then stop after R backtracks.</summary>
public class ValidationBacktrackingTests : TempFolderTest
{
    /// <summary>y = 2x regression with scripted validation scores; remembers the weight after every epoch's training.</summary>
    private sealed class ScriptedTask(Linear model, double[] validation) : ITrainingTask<ImageBatch>
    {
        private int _validations;

        public Module Model => model;
        public string SelectionMetric => "score";
        public List<float> WeightsAtValidation { get; } = new();

        public StepOutput Step(ImageBatch batch)
        {
            var x = batch.Images.Flatten(1);
            return new StepOutput(F.MseLoss(model.Forward(x), x.Mul(2)), batch.Rows.Length);
        }

        public IReadOnlyDictionary<string, double> Validate()
        {
            WeightsAtValidation.Add(model.Weight.ToArray<float>()[0]);
            return new Dictionary<string, double> { ["score"] = validation[Math.Min(_validations++, validation.Length - 1)] };
        }
    }

    private static TensorBatchSource Source()
    {
        TorchRuntime.ManualSeed(3);
        var x = Factory.Randn(new long[] { 8, 1, 1, 1 }).DetachFromScope();
        return new TensorBatchSource(x, Factory.Zeros(new long[] { 8 }, DType.Int64).DetachFromScope(), 4);
    }

    private static TrainingConfig Config(int patience, int backtracks) => new()
    {
        Epochs = 12,
        BatchSize = 4,
        LearningRate = 0.05,
        Momentum = 0,
        WeightDecay = 0,
        Milestones = [100],
        BacktrackPatience = patience,
        MaxValidationBacktracks = backtracks,
        BacktrackFactor = 0.5,
    };

    [Fact]
    public void WorseValidationReturnsToTheBestWeightsAtAHalvedRateThenStops()
    {
        using var model = new Linear(1, 1);
        // best at epoch 2; epochs 3-4 worse: backtrack after epoch 4; 5-6 worse: backtrack again; 7-8 worse: stop
        var task = new ScriptedTask(model, new[] { 0.5, 0.9, 0.1, 0.2, 0.3, 0.2, 0.4, 0.1, 0.0, 0.0, 0.0, 0.0 });
        var run = Path.Combine(dir, "run");
        var history = new Trainer<ImageBatch>(task, Source(), Config(patience: 2, backtracks: 2), new RunDirectory(run)).Fit(resume: false);
        Assert.Equal(8, history.Count);
        Assert.Equal(new[] { 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125 }, history.Select(h => Math.Round(h.LearningRate, 6)));
        var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "checkpoint.json"))).RootElement;
        Assert.Equal(2, state.GetProperty("validation_backtracks").GetInt32());
        Assert.True(state.GetProperty("stopped").GetBoolean());
        Assert.Equal(2, state.GetProperty("best_epoch").GetInt32());
        // the kept model is the best epoch's
        Assert.Equal(task.WeightsAtValidation[1], model.Weight.ToArray<float>()[0]);
    }

    [Fact]
    public void AfterABacktrackTrainingContinuesFromTheBestWeights()
    {
        using var model = new Linear(1, 1);
        var task = new ScriptedTask(model, new[] { 0.9, 0.1, 0.0, 0.0, 1.0 });
        var trainer = new Trainer<ImageBatch>(task, Source(), Config(patience: 2, backtracks: 5) with { Epochs = 5 },
            new RunDirectory(Path.Combine(dir, "continue")));
        var recorder = new EndOfEpoch(model);
        trainer.Callbacks.Add(recorder);
        trainer.Fit(resume: false);
        // the backtrack came after epoch 3 (best epoch 1, two worse); epoch 4 began from epoch 1's weights
        Assert.Equal(task.WeightsAtValidation[0], recorder.After[3]);
    }

    /// <summary>The weight as each epoch ends, after every other callback (a backtrack included).</summary>
    private sealed class EndOfEpoch(Linear model) : ITrainerCallback
    {
        public Dictionary<int, float> After { get; } = new();

        public void OnEpochEnd(TrainerContext context, EpochMetrics metrics) => After[metrics.Epoch] = model.Weight.ToArray<float>()[0];
    }

    [Fact]
    public void OffByDefaultSoExistingWorkflowsTrainAsBefore()
    {
        Assert.Equal(0, new TrainingConfig().BacktrackPatience);
        using var model = new Linear(1, 1);
        var task = new ScriptedTask(model, new[] { 0.9, 0.1, 0.1, 0.1, 0.1, 0.1 });
        var history = new Trainer<ImageBatch>(task, Source(), Config(patience: 0, backtracks: 1) with { Epochs = 6 },
            new RunDirectory(Path.Combine(dir, "off"))).Fit(resume: false);
        Assert.Equal(6, history.Count);
        Assert.All(history, h => Assert.Equal(0.05, h.LearningRate, 12));
    }

    [Theory]
    [InlineData("{\"backtrack_patience\": -1}", "backtrack_patience")]
    [InlineData("{\"backtrack_factor\": 1.5}", "backtrack_factor")]
    public void BadSettingsAreRefusedByName(string json, string name)
    {
        var config = InSitu.Common.ConfigOverlay.Apply(new TrainingConfig(), json, "t.json");
        var e = Assert.Throws<ArgumentException>(() => config.Validate("training"));
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }
}
