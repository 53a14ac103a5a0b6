namespace InSitu.Torch.NN;

/// <summary>
/// A building block with named parameters, buffers and submodules, a train/eval mode and a PyTorch-compatible
/// state dict (same keys, same order as torch.nn.Module). New modules subclass it (usually through
/// <see cref="Module{TIn,TOut}"/>) and register their parts in the constructor.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string name, Parameter? value)> _parameters = new();
    private readonly List<(string name, Tensor? value, bool persistent)> _buffers = new();
    private readonly List<(string name, Module value)> _children = new();

    public bool Training { get; private set; } = true;

    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _children.Add((name, module));
        return module;
    }

    /// <summary>Registers data (an alias is kept; the caller may dispose its own handle) as a trainable parameter.</summary>
    protected Parameter RegisterParameter(string name, Tensor data, bool requiresGrad = true)
    {
        CheckName(name);
        var p = new Parameter(data, requiresGrad);
        _parameters.Add((name, p));
        return p;
    }

    /// <summary>A state tensor that is saved and moved with the module but not trained (e.g. running statistics).</summary>
    protected Tensor RegisterBuffer(string name, Tensor data, bool persistent = true)
    {
        CheckName(name);
        data.DetachFromScope();
        _buffers.Add((name, data, persistent));
        return data;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"invalid member name '{name}': names must be non-empty and contain no '.'");
        if (_parameters.Any(p => p.name == name) || _buffers.Any(b => b.name == name) || _children.Any(c => c.name == name))
            throw new ArgumentException($"'{name}' is already registered in {GetType().Name}");
    }

    public IEnumerable<(string name, Module module)> NamedChildren() => _children;

    public IEnumerable<(string name, Module module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in _children)
            foreach (var m in child.NamedModules(prefix.Length == 0 ? name : $"{prefix}.{name}"))
                yield return m;
    }

    public IEnumerable<(string name, Parameter parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (name, p) in _parameters)
            if (p is not null) yield return (Join(prefix, name), p);
        foreach (var (name, child) in _children)
            foreach (var x in child.NamedParameters(Join(prefix, name)))
                yield return x;
    }

    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.parameter);

    public IEnumerable<(string name, Tensor buffer)> NamedBuffers(string prefix = "", bool persistentOnly = false)
    {
        foreach (var (name, b, persistent) in _buffers)
            if (b is not null && (persistent || !persistentOnly)) yield return (Join(prefix, name), b);
        foreach (var (name, child) in _children)
            foreach (var x in child.NamedBuffers(Join(prefix, name), persistentOnly))
                yield return x;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    public long ParameterCount() => Parameters().Sum(p => p.NumEl);

    public virtual void Train(bool training = true)
    {
        Training = training;
        foreach (var (_, c) in _children) c.Train(training);
    }

    public void Eval() => Train(false);

    /// <summary>Drops all parameter gradients (set to none, as PyTorch's zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad = null;
    }

    /// <summary>Parameters and persistent buffers in torch.nn.Module order: own parameters, own buffers, then children.</summary>
    public List<(string name, Tensor tensor)> StateDict(string prefix = "")
    {
        var result = new List<(string, Tensor)>();
        foreach (var (name, p) in _parameters)
            if (p is not null) result.Add((Join(prefix, name), p));
        foreach (var (name, b, persistent) in _buffers)
            if (b is not null && persistent) result.Add((Join(prefix, name), b));
        foreach (var (name, child) in _children) result.AddRange(child.StateDict(Join(prefix, name)));
        return result;
    }

    /// <summary>
    /// Copies values into parameters and buffers by name. strict: every key must match both ways. Shapes must
    /// match exactly; the error names the key and both shapes.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = StateDict();
        if (strict)
        {
            var missing = own.Select(o => o.name).Where(n => !state.ContainsKey(n)).ToList();
            var unexpected = state.Keys.Where(k => own.All(o => o.name != k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new TorchException($"state dict does not fit {GetType().Name}: " +
                    (missing.Count > 0
                        ? $"missing keys [{string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", …" : "")}]" : "") +
                    (missing.Count > 0 && unexpected.Count > 0 ? "; " : "") +
                    (unexpected.Count > 0
                        ? $"unexpected keys [{string.Join(", ", unexpected.Take(10))}{(unexpected.Count > 10 ? ", …" : "")}]" : "") +
                    ". Was it saved from another architecture or configuration?");
        }
        using var noGrad = Autograd.NoGrad();
        foreach (var (name, target) in own)
        {
            if (!state.TryGetValue(name, out var src)) continue;
            var ts = target.Shape;
            var ss = src.Shape;
            if (!ts.SequenceEqual(ss))
                throw new TorchException($"size mismatch for '{name}': the checkpoint has shape {Tensor.FormatShape(ss)}, " +
                    $"this model has {Tensor.FormatShape(ts)}. Was it saved from another architecture or configuration?");
            target.Copy_(src);
        }
    }

    /// <summary>Saves the state dict in PyTorch's format (torch.load reads it), atomically: a crash never leaves a torn file.</summary>
    public void Save(string path) => Serialization.Save(StateDict(), path);

    public void Load(string path, bool strict = true)
    {
        var state = Serialization.Load(path);
        try
        {
            LoadStateDict(state, strict);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>Moves (and optionally converts floating-point) parameters and buffers, keeping their identity.</summary>
    public Module To(Device device, DType? floatType = null)
    {
        using var noGrad = Autograd.NoGrad();
        foreach (var (_, t) in StateDict().Concat(NamedBuffers().Select(b => (b.name, b.buffer))).DistinctBy(x => x.Item2))
        {
            var dt = floatType.HasValue && t.DType.IsFloating() ? floatType.Value : t.DType;
            using var moved = t.To(device, dt);
            t.SetData(moved);
        }
        return this;
    }

    /// <summary>Stores 4-d weights channels-last, which oneDNN convolutions run fastest on CPU.</summary>
    public Module ToChannelsLast()
    {
        using var noGrad = Autograd.NoGrad();
        foreach (var p in Parameters())
            if (p.Dim == 4)
            {
                using var c = p.Contiguous(MemoryFormat.ChannelsLast);
                p.SetData(c);
            }
        return this;
    }

    /// <summary>Replaces a registered child (used by graph rewrites such as conv+BN folding).</summary>
    protected internal void ReplaceChild(string name, Module replacement)
    {
        int i = _children.FindIndex(c => c.name == name);
        if (i < 0) throw new ArgumentException($"no child '{name}' in {GetType().Name}");
        OnChildReplaced(name, replacement);
        _children[i] = (name, replacement);
    }

    /// <summary>
    /// Called before a child is replaced, so a module that keeps typed references to its children can point them at
    /// the replacement (a rewrite such as <see cref="Fusion.FoldBatchNorms"/> only knows children by name).
    /// Throw to refuse a replacement that does not fit; nothing has changed yet.
    /// </summary>
    protected virtual void OnChildReplaced(string name, Module replacement) { }

    public virtual void Dispose()
    {
        foreach (var (_, p) in _parameters) p?.Dispose();
        foreach (var (_, b, _) in _buffers) b?.Dispose();
        foreach (var (_, c) in _children) c.Dispose();
        GC.SuppressFinalize(this);
    }
}
