using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Workflows.Bags;

/// <summary>
/// The paper's training loss in one place (section IV): focal loss (Eq. 1) with gamma from its schedule, inside the
/// weighted BCE of Eq. 4 with weights w_m = #neg / #pos (tempered in the CNN phase), and stage masks that give impossible
/// attributes weight 0:
/// <code>L = mean over images (or bags) i and attributes m of  mask_im * w_m(e) * (1 - p_t)^gamma(e) * BCE(x_im, y_im)</code>
/// With <see cref="BceWeighting.Positives"/> the weight is 1 + (w_m(e) - 1) y_im instead (the published code). Each
/// component can be switched off for the ablation (<see cref="BagComponents"/>).
/// </summary>
public sealed class BagLoss
{
    private readonly float[] _weights;
    private readonly FocalGammaSchedule _gamma;
    private readonly MultipleTempering? _tempering;
    private readonly BceWeighting _weighting;

    /// <param name="weights">w_m from the phase's training labels; ignored (all 1) when weighted BCE is off.</param>
    /// <param name="tempering">The CNN phase's tempering; null holds the weights (the bag phase, or tempering off).</param>
    public BagLoss(BagConfig config, float[] weights, FocalGammaSchedule gamma, MultipleTempering? tempering)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        _weights = config.Components.WeightedBce ? weights : weights.Select(_ => 1f).ToArray();
        _gamma = gamma;
        _tempering = config.Components.WeightedBce && config.Components.Tempering ? tempering : null;
        _weighting = config.Weighting;
    }

    /// <summary>The attribute weights w_m(e) of epoch <paramref name="epoch"/>.</summary>
    public float[] WeightsAt(int epoch) => _tempering?.Weights(_weights, epoch) ?? _weights;

    public double GammaAt(int epoch) => _gamma.At(epoch);

    /// <summary>The loss of logits N x T against 0/1 targets N x T with 0/1 masks N x T, in epoch <paramref name="epoch"/>.</summary>
    public Tensor Compute(Tensor logits, Tensor targets, Tensor masks, int epoch)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(masks);
        using var scope = TorchRuntime.NewDisposeScope();
        var w = Tensor.FromArray(WeightsAt(epoch), 1, _weights.Length).To(logits.Device);
        var weight = _weighting == BceWeighting.Attribute ? w.Mul(masks) : targets.Mul(w.Sub(1)).Add(1).Mul(masks);
        return scope.MoveToOuter(FocalLoss.WithLogits(logits, targets, GammaAt(epoch), weight));
    }
}
