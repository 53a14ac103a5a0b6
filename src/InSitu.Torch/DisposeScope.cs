namespace InSitu.Torch;

/// <summary>
/// Deterministic tensor lifetime: every tensor created on this thread while a scope is open belongs to the
/// innermost scope and is freed when the scope is disposed, unless moved out first. A training step wrapped in
/// a scope therefore releases all its intermediates at once, and a long loop holds flat memory.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly DisposeScope? _outer;
    private readonly HashSet<Tensor> _owned = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    internal DisposeScope()
    {
        _outer = _current;
        _current = this;
    }

    internal static DisposeScope? Current => _current;

    internal void Add(Tensor t) => _owned.Add(t);

    internal bool Remove(Tensor t) => _owned.Remove(t);

    /// <summary>Number of live tensors this scope will free.</summary>
    public int Count => _owned.Count;

    /// <summary>Keeps the tensors alive beyond this scope: they move to the enclosing scope, or to no scope.</summary>
    public T MoveToOuter<T>(T tensor) where T : Tensor
    {
        if (_owned.Remove(tensor)) _outer?.Add(tensor);
        tensor.Scope = _outer;
        return tensor;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _owned)
        {
            t.Scope = null;
            t.Dispose();
        }
        _owned.Clear();
        // Scopes close in LIFO order; a scope disposed out of order unlinks itself without orphaning inner ones.
        if (_current == this) _current = _outer;
    }
}
