using InSitu.Torch;
using InSitu.Torch.NN;
using InSitu.Torch.Optim;

namespace InSitu.Torch.Tests;

/// <summary>
/// InSitu against PyTorch 1.13 on the fixtures of tests/fixtures/make_fixtures.py: forward results and the
/// gradients of loss = sum(output * r) with respect to inputs and weights, running statistics, and optimizer
/// steps. The computations go through InSitu's modules where one exists, so that constructor arguments, weight
/// layouts and parameter registration are checked along with the kernels.
/// </summary>
public class ParityTests
{
    public static TheoryData<string> Conv2dCases => FixtureCase.Names("conv2d.json");
    public static TheoryData<string> ConvTranspose2dCases => FixtureCase.Names("conv_transpose2d.json");
    public static TheoryData<string> BatchNormCases => FixtureCase.Names("batch_norm2d.json");
    public static TheoryData<string> LinearCases => FixtureCase.Names("linear.json");
    public static TheoryData<string> LstmCases => FixtureCase.Names("lstm.json");
    // the similarity loss belongs to the stage workflow and is checked there (InSitu.Tests)
    public static TheoryData<string> LossCases
        => FixtureCase.Names("losses.json", n => !n.StartsWith("similarity", StringComparison.Ordinal));
    public static TheoryData<string> PoolingCases => FixtureCase.Names("pooling.json");
    public static TheoryData<string> OptimCases => FixtureCase.Names("optim.json");

    /// <summary>The fixtures' scalar loss: every output element gets its own random weight r.</summary>
    private static Tensor WeightedSum(Tensor output, Tensor r) => output.Mul(r).Sum();

    /// <summary>
    /// Compares the output, then backpropagates sum(output * r) and compares the gradients of the input and of
    /// every parameter of layer (fixture keys "grad.x" and "grad.NAME").
    /// </summary>
    private static void CheckForwardAndGradients(FixtureCase c, Tensor x, Tensor output, Module? layer = null)
    {
        Close.Equal(c, "out", output);
        WeightedSum(output, c.T("r")).Backward();
        Close.Equal(c, "grad.x", x.Grad);
        if (layer is null) return;
        foreach (var (pname, p) in layer.NamedParameters()) Close.Equal(c, "grad." + pname, p.Grad);
    }

    [Theory]
    [MemberData(nameof(Conv2dCases))]
    public void Conv2dMatchesPyTorch(string name)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var c = FixtureCase.Load("conv2d.json", name);
        var w = c.Shape("weight");
        using var conv = new Conv2d(c.Shape("x")[1], w[0], w[2], c.Int("stride"), c.Int("padding"), c.Int("dilation"),
            c.Int("groups"), bias: true);
        conv.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = c.T("weight"), ["bias"] = c.T("bias") });
        var x = c.Leaf("x");
        CheckForwardAndGradients(c, x, conv.Forward(x), conv);
    }

    [Theory]
    [MemberData(nameof(ConvTranspose2dCases))]
    public void ConvTranspose2dMatchesPyTorch(string name)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var c = FixtureCase.Load("conv_transpose2d.json", name);
        using var deconv = new ConvTranspose2d(c.Int("in_channels"), c.Int("out_channels"), c.Int("kernel_size"), c.Int("stride"),
            c.Int("padding"), c.Int("output_padding"), c.Int("groups"), bias: true, dilation: c.Int("dilation"));
        deconv.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = c.T("weight"), ["bias"] = c.T("bias") });
        var x = c.Leaf("x");
        CheckForwardAndGradients(c, x, deconv.Forward(x), deconv);
    }

    [Theory]
    [MemberData(nameof(BatchNormCases))]
    public void BatchNorm2dMatchesPyTorch(string name)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var c = FixtureCase.Load("batch_norm2d.json", name);
        using var bn = new BatchNorm2d(c.Shape("x")[1], c.Double("eps"), c.Double("momentum"));
        bn.LoadStateDict(c.Group("state."));
        bn.Train(c.Bool("training"));
        var x = c.Leaf("x");
        CheckForwardAndGradients(c, x, bn.Forward(x), bn);
        // Training updates the running statistics (unbiased variance) and the batch counter; eval leaves them.
        Close.Equal(c, "after.running_mean", bn.RunningMean);
        Close.Equal(c, "after.running_var", bn.RunningVar);
        Close.Equal(c, "after.num_batches_tracked", bn.NumBatchesTracked);
    }

    [Theory]
    [MemberData(nameof(LinearCases))]
    public void LinearMatchesPyTorch(string name)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var c = FixtureCase.Load("linear.json", name);
        using var linear = new Linear(c.Int("in_features"), c.Int("out_features"));
        linear.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = c.T("weight"), ["bias"] = c.T("bias") });
        var x = c.Leaf("x");
        CheckForwardAndGradients(c, x, linear.Forward(x), linear);
    }

    [Theory]
    [MemberData(nameof(LstmCases))]
    public void LstmMatchesPyTorch(string name)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var c = FixtureCase.Load("lstm.json", name);
        using var lstm = new LSTM(c.Int("input_size"), c.Int("hidden_size"), c.Int("num_layers"), bias: true,
            batchFirst: c.Bool("batch_first"), bidirectional: c.Bool("bidirectional"));
        // Same names in the same order is what lets torch.nn.LSTM checkpoints load.
        Assert.Equal(c.Strs("param_names"), lstm.StateDict().Select(e => e.name).ToArray());
        lstm.LoadStateDict(c.Group("param."));
        var x = c.Leaf("x");
        var h0 = c.Leaf("h0");
        var c0 = c.Leaf("c0");
        long[]? lengths = c.HasArg("lengths") ? c.Ints("lengths") : null;
        var (output, h, cell) = lstm.Forward(x, lengths, (h0, c0));
        // In the packed case PyTorch's padded positions are exact zeros, so they are compared like any other.
        Close.Equal(c, "out", output);
        Close.Equal(c, "h", h);
        Close.Equal(c, "c", cell);
        using (var l1 = WeightedSum(output, c.T("r.out")))
        using (var l2 = WeightedSum(h, c.T("r.h")))
        using (var l3 = WeightedSum(cell, c.T("r.c")))
            l1.Add(l2).Add(l3).Backward();
        Close.Equal(c, "grad.x", x.Grad);
        Close.Equal(c, "grad.h0", h0.Grad);
        Close.Equal(c, "grad.c0", c0.Grad);
        foreach (var (pname, p) in lstm.NamedParameters()) Close.Equal(c, "grad.param." + pname, p.Grad);
    }

    private static Reduction ReductionOf(string s) => s switch
    {
        "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        "none" => Reduction.None,
        _ => throw new ArgumentException(s),
    };

    [Theory]
    [MemberData(nameof(LossCases))]
    public void LossMatchesPyTorch(string name)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var c = FixtureCase.Load("losses.json", name);
        var x = c.Leaf("x");
        var reduction = ReductionOf(c.Str("reduction"));
        Tensor? target = null;
        var loss = c.Str("loss") switch
        {
            "cross_entropy" => F.CrossEntropy(x, c.T("target"), c.T("weight"), reduction, c.Int("ignore_index")),
            "bce_with_logits" => F.BinaryCrossEntropyWithLogits(x, c.T("target"), c.T("weight"), c.T("pos_weight"), reduction),
            "mse" => F.MseLoss(x, target = c.Leaf("target"), reduction),
            var l => throw new ArgumentException($"unknown loss {l}"),
        };
        Close.Equal(c, "out", loss);
        loss.Backward();
        Close.Equal(c, "grad.x", x.Grad);
        if (c.Has("grad.target")) Close.Equal(c, "grad.target", target!.Grad);
    }

    [Theory]
    [MemberData(nameof(PoolingCases))]
    public void PoolingMatchesPyTorch(string name)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var c = FixtureCase.Load("pooling.json", name);
        var x = c.Leaf("x");
        long[] Pair(string arg) => new[] { c.Int(arg), c.Int(arg) };
        var output = c.Str("op") switch
        {
            "max_pool2d" => F.MaxPool2d(x, Pair("kernel"), Pair("stride"), Pair("padding")),
            "avg_pool2d" => F.AvgPool2d(x, Pair("kernel"), Pair("stride"), Pair("padding"), countIncludePad: c.Bool("count_include_pad")),
            "adaptive_avg_pool2d" => F.AdaptiveAvgPool2d(x, c.Ints("output_size")),
            var op => throw new ArgumentException($"unknown pooling {op}"),
        };
        CheckForwardAndGradients(c, x, output);
    }

    [Theory]
    [MemberData(nameof(OptimCases))]
    public void OptimizerStepsMatchPyTorch(string name)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var c = FixtureCase.Load("optim.json", name);
        var names = c.Strs("param_names");
        var parameters = names.Select(n => new Parameter(c.T("before." + n))).ToList();
        double lr = c.Double("lr"), wd = c.Double("weight_decay");
        using Optimizer opt = c.Str("optimizer") switch
        {
            "sgd" => new SGD(parameters, lr, c.Double("momentum"), wd, c.Bool("nesterov")),
            "adam" => new Adam(parameters, lr, c.Double("beta1"), c.Double("beta2"), c.Double("eps"), wd),
            "adamw" => new AdamW(parameters, lr, c.Double("beta1"), c.Double("beta2"), c.Double("eps"), wd),
            var o => throw new ArgumentException($"unknown optimizer {o}"),
        };
        try
        {
            for (int s = 0; s < c.Int("steps"); s++)
            {
                for (int i = 0; i < names.Length; i++) parameters[i].Grad = c.T($"step{s}.grad.{names[i]}");
                opt.Step();
                for (int i = 0; i < names.Length; i++) Close.Equal(c, $"step{s}.after.{names[i]}", parameters[i]);
            }
        }
        finally
        {
            foreach (var p in parameters) p.Dispose();
        }
    }
}
