using InSitu.Data;
using InSitu.Models;
using InSitu.Models.Pretrained;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Workflows.Terms;

/// <summary>The networks the CV-term methods take features from: pretrained, randomly initialised, or fine-tuned.</summary>
public static class TermNetworks
{
    /// <summary>The configured network with its pretrained weights (the config's file, or the weights store's), in eval mode.</summary>
    public static TappedNetwork Pretrained(TermsConfig config)
    {
        var model = PretrainedWeights.Load(config.Architecture, config.Weights);
        if (model is TappedNetwork net) return Checked(net, config);
        model.Dispose();
        throw new InvalidOperationException($"{config.Network} has no tap points");
    }

    /// <summary>
    /// The same architecture with random weights (seeded), its batch-norm statistics estimated from
    /// <paramref name="images"/> (labels unused): without that its stored statistics (mean 0, variance 1) would describe
    /// nothing, and features would shrink or grow from layer to layer, which is not what a random network brings.
    /// </summary>
    public static TappedNetwork Random(TermsConfig config, int seed, IBatchSource<ImageBatch> images)
    {
        TorchRuntime.ManualSeed((ulong)seed * 7919 + 17);
        var arch = config.Architecture;
        var net = (TappedNetwork)arch.Create(arch.DefaultClasses);
        try
        {
            Checked(net, config);
            // only as far as the deepest tap in use: the layers above it give no features (and a head may need another size)
            var deepest = config.Taps.Concat(config.Layers).Select(net.ResolveTap).MaxBy(t => net.TapPoints.ToList().IndexOf(t))!;
            BatchNormRecalibration.Recalibrate(net, images, config.RecalibrationBatches, x => net.Taps(x, [deepest]));
            net.Eval();
            return net;
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    /// <summary>A fresh multi-task network on the pretrained one, with one output per term.</summary>
    public static MultiTaskNetwork MultiTask(TermsConfig config, TappedNetwork trunk, int terms)
    {
        try
        {
            return new MultiTaskNetwork(trunk, config.ResolvedHeadTap, terms, config.HeadDropout, config.FreezeBatchNorm,
                config.Height, config.Width);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"config 'head_tap': {e.Message}", e);
        }
    }

    /// <summary>The network, after checking that it has every configured tap (an unknown one lists the valid names).</summary>
    public static TappedNetwork Checked(TappedNetwork net, TermsConfig config)
    {
        foreach (var tap in config.Taps.Concat(config.Layers))
        {
            try
            {
                net.ResolveTap(tap);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"config 'taps'/'layers': {e.Message}", e);
            }
        }
        return net;
    }
}
