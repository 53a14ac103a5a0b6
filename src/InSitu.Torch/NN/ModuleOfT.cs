namespace InSitu.Torch.NN;

/// <summary>
/// A module with a typed forward pass. Subclasses implement <see cref="ForwardCore"/>; callers use
/// <see cref="Forward"/>, which runs it and then this module's hooks, as torch.nn.Module.__call__ runs forward
/// and its hooks.
/// </summary>
public abstract class Module<TIn, TOut> : Module
{
    // Registration is rare and never on a hot path: one lock for all modules keeps each module free of a lock object.
    private static readonly object RegistrationLock = new();

    // Null while no hook is registered, so a forward pass without hooks costs one null check and allocates nothing.
    // Replaced, never mutated: a forward pass on another thread (or a hook that removes itself) reads a snapshot.
    private volatile HookSet? _hooks;

    /// <summary>The computation itself; <see cref="Forward"/> adds the hooks around it.</summary>
    protected abstract TOut ForwardCore(TIn input);

    public TOut Forward(TIn input)
    {
        var output = ForwardCore(input);
        var hooks = _hooks;
        return hooks is null ? output : RunHooks(hooks, input, output);
    }

    public TOut Call(TIn input) => Forward(input);

    /// <summary>
    /// Calls hook(module, input, output) after every forward pass; a non-null result replaces the output (later hooks
    /// and the caller see the replacement, the original is left to its dispose scope). A tensor the hook keeps beyond
    /// the pass must be its own handle, e.g. <c>output.Alias().DetachFromScope()</c>: the caller may free the output.
    /// Dispose the returned handle to remove the hook.
    /// </summary>
    public IDisposable RegisterForwardHook(Func<Module<TIn, TOut>, TIn, TOut, TOut?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        Update(h => h with { Forward = [.. h.Forward, hook] });
        return new Registration(() => Update(h => h with { Forward = WithoutFirst(h.Forward, hook) }));
    }

    /// <summary>
    /// Calls hook(module, gradient) with the gradient with respect to this module's output whenever a backward pass
    /// goes through an output made while the hook was registered; a non-null result replaces that gradient.
    /// Outputs made without gradient recording get no hook. The output must be a tensor. Dispose the returned
    /// handle to remove the hook, also from graphs that are still alive.
    /// </summary>
    public IDisposable RegisterBackwardHook(Func<Module<TIn, TOut>, Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!typeof(Tensor).IsAssignableFrom(typeof(TOut)))
            throw new InvalidOperationException(
                $"{GetType().Name} returns {typeof(TOut).Name}, not a tensor: backward hooks need a tensor output");
        nint id = HookRegistry.Add(g => hook(this, g));
        Update(h => h with { Backward = [.. h.Backward, id] });
        return new Registration(() =>
        {
            Update(h => h with { Backward = WithoutFirst(h.Backward, id) });
            HookRegistry.Remove(id);
        });
    }

    private TOut RunHooks(HookSet hooks, TIn input, TOut output)
    {
        foreach (var hook in hooks.Forward)
            if (hook(this, input, output) is { } replaced) output = replaced;
        // Hooked per output tensor: each forward pass builds a new graph, and the engine calls hooks by tensor.
        if (hooks.Backward.Length > 0 && output is Tensor y && y.RequiresGrad)
            foreach (var id in hooks.Backward) HookRegistry.Attach(y, id);
        return output;
    }

    private void Update(Func<HookSet, HookSet> change)
    {
        lock (RegistrationLock)
        {
            var next = change(_hooks ?? HookSet.Empty);
            _hooks = next.Forward.Length == 0 && next.Backward.Length == 0 ? null : next;
        }
    }

    private static T[] WithoutFirst<T>(T[] items, T item)
    {
        int i = Array.FindIndex(items, x => EqualityComparer<T>.Default.Equals(x, item));
        return i < 0 ? items : [.. items[..i], .. items[(i + 1)..]];
    }

    public override void Dispose()
    {
        // Registry entries would otherwise keep this module reachable after it is gone.
        var hooks = _hooks;
        _hooks = null;
        if (hooks is not null)
            foreach (var id in hooks.Backward) HookRegistry.Remove(id);
        base.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed record HookSet(Func<Module<TIn, TOut>, TIn, TOut, TOut?>[] Forward, nint[] Backward)
    {
        public static readonly HookSet Empty = new([], []);
    }

    private sealed class Registration(Action remove) : IDisposable
    {
        private Action? _remove = remove;

        public void Dispose() => Interlocked.Exchange(ref _remove, null)?.Invoke();
    }
}
