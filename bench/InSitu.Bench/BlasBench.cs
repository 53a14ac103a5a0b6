using System.Diagnostics;
using System.Globalization;
using InSitu.Classic;
using InSitu.Torch;
using InSitu.Torch.NN;

/// <summary>
/// The workloads that run on the BLAS rather than on oneDNN: a 1024^3 fp32 matrix product, a training step of a
/// 2-layer bidirectional LSTM over bags (the bag workflow's model: 16 bags x 20 images x 256 features, hidden 256),
/// and 100 full-batch iterations of the logistic regression baseline (2000 x 1024 features, 14 classes).
/// One JSON line: seconds per iteration and GFLOP/s. bench/torch_blas.py is the PyTorch twin.
///   InSitu.Bench blas --op matmul|lstm|logreg [--iters 5] [--warmup 1]
/// </summary>
static class BlasBench
{
    public const int Bags = 16, BagLength = 20, Features = 256, Hidden = 256;
    public const int Samples = 2000, Dimensions = 1024, Classes = 14, LogRegIterations = 100;

    public static int Run(Dictionary<string, string> opts)
    {
        string op = opts.GetValueOrDefault("op", "matmul");
        int iters = int.Parse(opts.GetValueOrDefault("iters", "5"), CultureInfo.InvariantCulture);
        int warmup = int.Parse(opts.GetValueOrDefault("warmup", "1"), CultureInfo.InvariantCulture);
        TorchRuntime.ManualSeed(0);
        var (step, flops) = op switch
        {
            "matmul" => MatMul(),
            "lstm" => LstmStep(),
            "logreg" => LogReg(),
            _ => throw new ArgumentException($"unknown op '{op}' (matmul, lstm, logreg)"),
        };
        for (int i = 0; i < warmup; i++) step();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iters; i++) step();
        double perIter = sw.Elapsed.TotalSeconds / iters;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"runtime\": \"insitu\", \"op\": \"{op}\", \"seconds_per_iter\": {perIter:E4}, \"gflops\": {flops / perIter / 1e9:F2}, " +
            $"\"threads\": {TorchRuntime.Threads}, \"blas\": \"{TorchRuntime.Blas.Name}\"}}"));
        return 0;
    }

    private static (Action, double) MatMul()
    {
        var a = Factory.Randn(new long[] { 1024, 1024 });
        var b = Factory.Randn(new long[] { 1024, 1024 });
        return (() => a.MatMul(b).Dispose(), 2.0 * 1024 * 1024 * 1024);
    }

    private static (Action, double) LstmStep()
    {
        var lstm = new LSTM(Features, Hidden, numLayers: 2, batchFirst: true, bidirectional: true);
        var x = Factory.Randn(new long[] { Bags, BagLength, Features });
        // forward FLOPs per layer and direction: 4 gates x (input + hidden) x hidden multiply-adds per item and step;
        // a training step is about three forward passes (forward, and the two products of backward)
        double forward = 2.0 * 4 * Hidden * ((Features + Hidden) + (2 * Hidden + Hidden)) * 2 * Bags * BagLength;
        return (() =>
        {
            using var scope = TorchRuntime.NewDisposeScope();
            lstm.ZeroGrad();
            lstm.Forward(x).output.Sum().Backward();
        }, 3 * forward);
    }

    private static (Action, double) LogReg()
    {
        var x = Factory.Randn(new long[] { Samples, Dimensions });
        var y = Factory.RandInt(0, Classes, new long[] { Samples });
        // per iteration: the logits product and the weight gradient's product (the input needs no gradient)
        double flops = 2.0 * 2 * Samples * Dimensions * Classes * LogRegIterations;
        return (() =>
        {
            using var model = new LogisticRegression(Classes, 1e-3);
            model.Fit(x, y, iterations: LogRegIterations);
        }, flops);
    }
}
