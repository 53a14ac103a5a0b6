namespace InSitu.Torch;

/// <summary>
/// Focal loss for independent sigmoid outputs (Lin et al. 2017; the FlyExpress paper's Eq. 1), with per-element weights
/// (the paper's weighted BCE, Eq. 4):
/// <code>L = w * alpha_t * (1 - p_t)^gamma * BCE(x, y),   p_t = p if y = 1 else 1 - p,   p = sigmoid(x)</code>
/// BCE is computed from the logits (stable for any x), and p_t from the unweighted probability, so a weight scales the
/// loss without changing which elements count as hard. gamma = 0 and no alpha give weighted binary cross-entropy exactly;
/// a weight of 0 removes an element (a stage mask). Soft targets y in [0, 1] interpolate both terms.
/// </summary>
public static class FocalLoss
{
    /// <param name="logits">Any shape.</param>
    /// <param name="targets">Same shape, values in [0, 1].</param>
    /// <param name="gamma">Focusing exponent, at least 0 (the paper anneals it from 1 to 2).</param>
    /// <param name="weight">Broadcastable to the logits, e.g. [T] per attribute or [N, T] per element; null: 1.</param>
    /// <param name="alpha">Eq. 1's class balance: alpha for positives, 1 - alpha for negatives; null leaves it out.</param>
    public static Tensor WithLogits(Tensor logits, Tensor targets, double gamma, Tensor? weight = null, double? alpha = null,
        Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (!(gamma >= 0) || double.IsInfinity(gamma))
            throw new ArgumentException($"focal gamma must be finite and at least 0 (got {gamma})");
        if (alpha is { } a && a is not (>= 0 and <= 1)) throw new ArgumentException($"focal alpha must be in [0, 1] (got {a})");
        if (!logits.Shape.SequenceEqual(targets.Shape))
            throw new TorchException($"focal loss: logits {Tensor.FormatShape(logits.Shape)} and targets " +
                $"{Tensor.FormatShape(targets.Shape)} differ in shape");
        using var scope = TorchRuntime.NewDisposeScope();
        var loss = F.BinaryCrossEntropyWithLogits(logits, targets, reduction: Reduction.None);
        if (gamma > 0)
        {
            // 1 - p_t = y (1 - p) + (1 - y) p; kept away from 0 so the power's gradient stays finite for gamma < 1
            var p = logits.Sigmoid();
            var miss = targets.Mul(p.RSub(1)).Add(targets.RSub(1).Mul(p)).ClampMin(1e-12);
            loss = loss.Mul(miss.Pow(gamma));
        }
        if (alpha is { } al) loss = loss.Mul(targets.Mul(al).Add(targets.RSub(1).Mul(1 - al)));
        if (weight is not null) loss = loss.Mul(weight);
        var reduced = reduction switch
        {
            Reduction.None => loss,
            Reduction.Sum => loss.Sum(),
            _ => loss.Mean(),
        };
        return scope.MoveToOuter(reduced);
    }
}
