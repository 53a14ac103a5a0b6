using InSitu.Torch.NN;

namespace InSitu.Torch.Optim;

/// <summary>A set of parameters sharing hyperparameters; schedulers change <see cref="LearningRate"/>.</summary>
public sealed class ParamGroup
{
    public ParamGroup(IEnumerable<Parameter> parameters, double learningRate, double weightDecay = 0)
    {
        Parameters = parameters.ToList();
        LearningRate = InitialLearningRate = learningRate;
        WeightDecay = weightDecay;
    }

    public List<Parameter> Parameters { get; }
    public double LearningRate { get; set; }
    public double InitialLearningRate { get; set; }
    public double WeightDecay { get; set; }
}

/// <summary>Updates parameters from their gradients. All arithmetic runs in place under no-grad.</summary>
public abstract class Optimizer : IDisposable
{
    protected Optimizer(IEnumerable<ParamGroup> groups)
    {
        Groups = groups.ToList();
        if (Groups.Count == 0 || Groups.All(g => g.Parameters.Count == 0))
            throw new ArgumentException("the optimizer was given no parameters");
    }

    public List<ParamGroup> Groups { get; }

    /// <summary>Per-parameter state tensors (momentum buffers, moments), keyed by parameter.</summary>
    protected Dictionary<Parameter, Dictionary<string, Tensor>> State { get; } = new(ReferenceEqualityComparer.Instance);

    protected Dictionary<string, Tensor> StateOf(Parameter p)
    {
        if (!State.TryGetValue(p, out var s)) State[p] = s = new Dictionary<string, Tensor>();
        return s;
    }

    public void ZeroGrad()
    {
        foreach (var g in Groups)
            foreach (var p in g.Parameters) p.Grad = null;
    }

    public void Step()
    {
        using var noGrad = Autograd.NoGrad();
        using var scope = TorchRuntime.NewDisposeScope();
        foreach (var g in Groups)
            foreach (var p in g.Parameters)
            {
                using var grad = p.Grad;
                if (grad is null) continue;
                Update(g, p, grad, StateOf(p));
            }
    }

    /// <summary>One parameter's update; state tensors must be detached from scopes (use <see cref="Keep"/>).</summary>
    protected abstract void Update(ParamGroup group, Parameter p, Tensor grad, Dictionary<string, Tensor> state);

    protected static Tensor Keep(Tensor t) => t.DetachFromScope();

    /// <summary>Optimizer state for checkpoints: names "{group}.{index}.{key}" and scalar step counters.</summary>
    public List<(string name, Tensor tensor)> StateDict()
    {
        var result = new List<(string, Tensor)>();
        for (int gi = 0; gi < Groups.Count; gi++)
            for (int pi = 0; pi < Groups[gi].Parameters.Count; pi++)
                if (State.TryGetValue(Groups[gi].Parameters[pi], out var s))
                    foreach (var (k, v) in s.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                        result.Add(($"{gi}.{pi}.{k}", v));
        return result;
    }

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        foreach (var (name, value) in state)
        {
            var parts = name.Split('.', 3);
            if (parts.Length != 3 || !int.TryParse(parts[0], out var gi) || !int.TryParse(parts[1], out var pi) ||
                gi >= Groups.Count || pi >= Groups[gi].Parameters.Count)
                throw new TorchException($"optimizer state entry '{name}' does not fit this optimizer's parameter groups");
            var s = StateOf(Groups[gi].Parameters[pi]);
            if (s.TryGetValue(parts[2], out var old)) old.Dispose();
            s[parts[2]] = Keep(value.Clone());
        }
    }

    public void Dispose()
    {
        foreach (var s in State.Values)
            foreach (var t in s.Values) t.Dispose();
        State.Clear();
        GC.SuppressFinalize(this);
    }

    /// <summary>Step counters live as 0-d float64 tensors so they travel with the rest of the state.</summary>
    protected static double NextStep(Dictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("step", out var step)) state["step"] = step = Keep(Factory.Zeros(Array.Empty<long>(), DType.Float64));
        step.Add_(1.0);
        return step.Item();
    }
}

/// <summary>Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay (torch.optim.SGD).</summary>
public sealed class SGD : Optimizer
{
    public double Momentum { get; }
    public double Dampening { get; }
    public bool Nesterov { get; }

    public SGD(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double weightDecay = 0,
        bool nesterov = false, double dampening = 0)
        : this(new[] { new ParamGroup(parameters, lr, weightDecay) }, momentum, nesterov, dampening) { }

    public SGD(IEnumerable<ParamGroup> groups, double momentum = 0, bool nesterov = false, double dampening = 0) : base(groups)
    {
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum needs momentum > 0 and no dampening");
        (Momentum, Nesterov, Dampening) = (momentum, nesterov, dampening);
    }

    protected override void Update(ParamGroup group, Parameter p, Tensor grad, Dictionary<string, Tensor> state)
    {
        Tensor d = grad;
        if (group.WeightDecay != 0) d = grad.Add(p, group.WeightDecay);
        if (Momentum != 0)
        {
            if (!state.TryGetValue("momentum_buffer", out var buf))
                state["momentum_buffer"] = buf = Keep(d.Clone());
            else
                buf.Mul_(Momentum).Add_(d, 1 - Dampening);
            d = Nesterov ? d.Add(buf, Momentum) : buf;
        }
        p.Add_(d, -group.LearningRate);
    }
}

/// <summary>Adam (torch.optim.Adam; weight decay as L2 on the gradient), or AdamW with decoupled decay.</summary>
public class Adam : Optimizer
{
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    protected bool Decoupled { get; init; }

    public Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0)
        : this(new[] { new ParamGroup(parameters, lr, weightDecay) }, beta1, beta2, eps) { }

    public Adam(IEnumerable<ParamGroup> groups, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8) : base(groups)
    {
        (Beta1, Beta2, Eps) = (beta1, beta2, eps);
    }

    protected override void Update(ParamGroup group, Parameter p, Tensor grad, Dictionary<string, Tensor> state)
    {
        double t = NextStep(state);
        Tensor g = grad;
        if (group.WeightDecay != 0)
        {
            if (Decoupled) p.Mul_(1 - group.LearningRate * group.WeightDecay);
            else g = grad.Add(p, group.WeightDecay);
        }
        if (!state.TryGetValue("exp_avg", out var m)) state["exp_avg"] = m = Keep(Factory.ZerosLike(p));
        if (!state.TryGetValue("exp_avg_sq", out var v)) state["exp_avg_sq"] = v = Keep(Factory.ZerosLike(p));
        m.Lerp_(g, 1 - Beta1);
        v.Mul_(Beta2).AddCMul_(g, g, 1 - Beta2);
        double bc1 = 1 - Math.Pow(Beta1, t), bc2 = 1 - Math.Pow(Beta2, t);
        var denom = v.Sqrt().Div_(Math.Sqrt(bc2)).Add_(Eps);
        p.AddCDiv_(m, denom, -group.LearningRate / bc1);
    }
}

/// <summary>AdamW: Adam with weight decay applied directly to the weights (torch.optim.AdamW, default decay 0.01).</summary>
public sealed class AdamW : Adam
{
    public AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0.01)
        : this(new[] { new ParamGroup(parameters, lr, weightDecay) }, beta1, beta2, eps) { }

    public AdamW(IEnumerable<ParamGroup> groups, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
        : base(groups, beta1, beta2, eps)
    {
        Decoupled = true;
    }
}

public static class GradClip
{
    /// <summary>Scales all gradients so their joint L2 norm is at most maxNorm; returns the norm before clipping.</summary>
    public static double ClipGradNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        using var noGrad = Autograd.NoGrad();
        using var scope = TorchRuntime.NewDisposeScope();
        var grads = parameters.Select(p => p.Grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0;
        var norms = grads.Select(g => g.Norm()).ToList();
        double total = Tensor.Stack(norms).Norm().Item();
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1)
            foreach (var g in grads) g.Mul_(coef);
        return total;
    }

    /// <summary>Clamps every gradient element to [-clipValue, clipValue].</summary>
    public static void ClipGradValue(IEnumerable<Parameter> parameters, double clipValue)
    {
        using var noGrad = Autograd.NoGrad();
        foreach (var p in parameters)
        {
            using var g = p.Grad;
            g?.Clamp_(-clipValue, clipValue);
        }
    }
}
