namespace InSitu.Torch.Optim;

/// <summary>
/// Sets every group's learning rate as a function of the epoch, from the group's initial rate. Call
/// <see cref="Step"/> once per epoch after the optimizer's steps, as in PyTorch.
/// </summary>
public abstract class LRScheduler
{
    protected LRScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer;
        foreach (var g in optimizer.Groups) g.InitialLearningRate = g.LearningRate;
    }

    public Optimizer Optimizer { get; }
    public int Epoch { get; private set; }

    public void Step() => SetEpoch(Epoch + 1);

    /// <summary>Jumps to an epoch (used when resuming a run).</summary>
    public void SetEpoch(int epoch)
    {
        Epoch = epoch;
        foreach (var g in Optimizer.Groups) g.LearningRate = RateAt(g.InitialLearningRate, Epoch);
    }

    public abstract double RateAt(double initial, int epoch);
}

/// <summary>Multiplies by gamma at each milestone epoch (torch MultiStepLR).</summary>
public sealed class MultiStepLR : LRScheduler
{
    private readonly int[] _milestones;
    private readonly double _gamma;

    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1) : base(optimizer)
    {
        _milestones = milestones.OrderBy(m => m).ToArray();
        _gamma = gamma;
        SetEpoch(0);
    }

    public override double RateAt(double initial, int epoch) => initial * Math.Pow(_gamma, _milestones.Count(m => m <= epoch));
}

/// <summary>Cosine from the initial rate down to etaMin over tMax epochs (closed form of torch CosineAnnealingLR).</summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    private readonly int _tMax;
    private readonly double _etaMin;

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax < 1) throw new ArgumentException($"tMax must be at least 1, got {tMax}");
        (_tMax, _etaMin) = (tMax, etaMin);
        SetEpoch(0);
    }

    public override double RateAt(double initial, int epoch) =>
        _etaMin + (initial - _etaMin) * (1 + Math.Cos(Math.PI * epoch / _tMax)) / 2;
}

/// <summary>Cosine annealing restarted every period, periods growing by tMult (torch CosineAnnealingWarmRestarts, SGDR).</summary>
public sealed class CosineAnnealingWarmRestarts : LRScheduler
{
    private readonly int _t0;
    private readonly int _tMult;
    private readonly double _etaMin;

    public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0, int tMult = 1, double etaMin = 0) : base(optimizer)
    {
        if (t0 < 1 || tMult < 1) throw new ArgumentException("t0 and tMult must be at least 1");
        (_t0, _tMult, _etaMin) = (t0, tMult, etaMin);
        SetEpoch(0);
    }

    public override double RateAt(double initial, int epoch)
    {
        int tCur = epoch, ti = _t0;
        while (tCur >= ti)
        {
            tCur -= ti;
            ti *= _tMult;
        }
        return _etaMin + (initial - _etaMin) * (1 + Math.Cos(Math.PI * tCur / ti)) / 2;
    }
}
