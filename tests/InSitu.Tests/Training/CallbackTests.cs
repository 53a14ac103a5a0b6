using System.Text.Json;
using InSitu.Data;
using InSitu.Reports;
using InSitu.Torch.NN;
using InSitu.Torch.Optim;
using InSitu.Training;

namespace InSitu.Tests.Training;

/// <summary>The trainer's callbacks and specs: early stopping, backtracking, optimizer and schedule choice.</summary>
public class CallbackTests : TempFolderTest
{
    /// <summary>Regression of y = 2x with a linear model; the loss of chosen steps can be poisoned, validation is scripted.</summary>
    private sealed class ScriptedTask(Linear model, double[] validation, int poisonStep = -1) : ITrainingTask<ImageBatch>
    {
        private int _steps;
        private int _validations;

        public Module Model => model;

        public string SelectionMetric => "score";

        public StepOutput Step(ImageBatch batch)
        {
            var x = batch.Images.Flatten(1);
            var loss = F.MseLoss(model.Forward(x), x.Mul(2));
            if (_steps++ == poisonStep) loss = loss.Mul(double.NaN);
            return new StepOutput(loss, batch.Rows.Length);
        }

        public IReadOnlyDictionary<string, double> Validate() =>
            new Dictionary<string, double> { ["score"] = validation[Math.Min(_validations++, validation.Length - 1)] };
    }

    private static TensorBatchSource Source()
    {
        TorchRuntime.ManualSeed(3);
        var x = Factory.Randn(new long[] { 8, 1, 1, 1 }).DetachFromScope();
        return new TensorBatchSource(x, Factory.Zeros(new long[] { 8 }, DType.Int64).DetachFromScope(), 4);
    }

    [Fact]
    public void EarlyStoppingEndsWhenTheSelectionMetricStopsImproving()
    {
        using var model = new Linear(1, 1);
        var task = new ScriptedTask(model, new[] { 0.5, 0.4, 0.3, 0.2, 0.1, 0.0 });
        var config = new TrainingConfig { Epochs = 6, BatchSize = 4, EarlyStoppingPatience = 2 };
        var run = Path.Combine(dir, "early");
        var history = new Trainer<ImageBatch>(task, Source(), config, new RunDirectory(run)).Fit(resume: false);
        Assert.Equal(3, history.Count); // best at epoch 1, two epochs without improvement
        var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "checkpoint.json"))).RootElement;
        Assert.True(state.GetProperty("stopped").GetBoolean());
        Assert.Equal(1, state.GetProperty("best_epoch").GetInt32());
        // a resumed run that had stopped early does not train on
        var again = new Trainer<ImageBatch>(new ScriptedTask(model, new[] { 1.0 }), Source(), config, new RunDirectory(run))
            .Fit(resume: true);
        Assert.Equal(3, again.Count);
    }

    [Fact]
    public void ADivergedEpochIsUndoneAndRunAgainAtHalfTheRate()
    {
        using var model = new Linear(1, 1);
        var task = new ScriptedTask(model, new[] { 0.1, 0.2, 0.3 }, poisonStep: 3); // the second batch of epoch 2
        var config = new TrainingConfig { Epochs = 3, BatchSize = 4, LearningRate = 0.1, Momentum = 0, WeightDecay = 0 };
        var run = Path.Combine(dir, "backtrack");
        var history = new Trainer<ImageBatch>(task, Source(), config, new RunDirectory(run)).Fit(resume: false);
        Assert.Equal(new[] { 1, 2, 3 }, history.Select(h => h.Epoch));
        Assert.All(history, h => Assert.True(double.IsFinite(h.TrainLoss)));
        Assert.Equal(0.1, history[0].LearningRate, 12);
        Assert.Equal(0.05, history[1].LearningRate, 12);
        var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "checkpoint.json"))).RootElement;
        Assert.Equal(1, state.GetProperty("backtracks").GetInt32());
        Assert.All(model.Parameters(), p => Assert.All(p.ToArray<float>(), v => Assert.True(float.IsFinite(v))));
    }

    [Fact]
    public void DivergingBeyondTheAllowedBacktracksIsAnError()
    {
        using var model = new Linear(1, 1);
        var task = new ScriptedTask(model, new[] { 0.1 }, poisonStep: 0);
        var config = new TrainingConfig { Epochs = 2, BatchSize = 4, MaxBacktracks = 0 };
        var e = Assert.Throws<InvalidOperationException>(() =>
            new Trainer<ImageBatch>(task, Source(), config, new RunDirectory(Path.Combine(dir, "nan"))).Fit(resume: false));
        Assert.Contains("diverged in epoch 1", e.Message);
    }

    [Fact]
    public void OptimizerAndScheduleComeFromTheConfig()
    {
        using var model = new Linear(2, 1);
        var adamw = new TrainingConfig { Optimizer = OptimizerKind.AdamW, LearningRate = 0.01, WeightDecay = 0.05 };
        using (var opt = adamw.CreateOptimizer(model.Parameters()))
        {
            Assert.IsType<AdamW>(opt);
            Assert.Equal(0.05, opt.Groups[0].WeightDecay);
        }
        using var sgd = new TrainingConfig { LearningRate = 1 }.CreateOptimizer(model.Parameters());
        var cosine = new TrainingConfig { Schedule = ScheduleKind.Cosine, Epochs = 4, LearningRate = 1 }.CreateScheduler(sgd);
        Assert.Equal(0.5, cosine.RateAt(1, 2), 12);
        var restarts = new TrainingConfig
        {
            Schedule = ScheduleKind.WarmRestarts,
            RestartPeriod = 2,
            LearningRate = 1
        }.CreateScheduler(sgd);
        Assert.Equal(1, restarts.RateAt(1, 2), 12);
        Assert.IsType<MultiStepLR>(new TrainingConfig().CreateScheduler(sgd));
    }

    [Theory]
    [InlineData("{\"momentum\": -5}", "momentum")]
    [InlineData("{\"gamma\": -1}", "gamma")]
    [InlineData("{\"epochs\": 0}", "epochs")]
    [InlineData("{\"learning_rate\": 0}", "learning_rate")]
    public void OutOfRangeSettingsAreRefusedByName(string json, string name)
    {
        var config = InSitu.Common.ConfigOverlay.Apply(new TrainingConfig(), json, "t.json");
        var e = Assert.Throws<ArgumentException>(() => config.Validate("fine"));
        Assert.StartsWith("fine: " + name, e.Message, StringComparison.Ordinal);
    }
}
