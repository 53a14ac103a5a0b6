using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace InSitu.Torch;

/// <summary>Reverse-mode differentiation: backward, gradients of outputs with respect to inputs, grad modes, hooks.</summary>
public static class Autograd
{
    /// <summary>Accumulates d(outputs)/d(leaves) into the leaves' .Grad (gradOutputs default to ones for scalars).</summary>
    public static unsafe void Backward(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor?>? gradOutputs = null,
        bool retainGraph = false, bool createGraph = false)
    {
        int n = outputs.Count;
        var o = stackalloc IntPtr[n];
        var g = stackalloc IntPtr[n];
        for (int i = 0; i < n; i++)
        {
            o[i] = outputs[i].Handle;
            g[i] = gradOutputs?[i]?.Handle ?? IntPtr.Zero;
        }
        int status = Native.ist_backward(o, g, n, retainGraph ? 1 : 0, createGraph ? 1 : 0);
        GC.KeepAlive(outputs);
        GC.KeepAlive(gradOutputs);
        HookRegistry.RethrowPending();
        Native.Check(status);
    }

    /// <summary>d(outputs)/d(inputs) without touching .Grad; null where an input is unused (allowUnused).</summary>
    public static unsafe Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs,
        IReadOnlyList<Tensor?>? gradOutputs = null, bool retainGraph = false, bool createGraph = false, bool allowUnused = false)
    {
        int n = outputs.Count, m = inputs.Count;
        var o = stackalloc IntPtr[n];
        var g = stackalloc IntPtr[n];
        var x = stackalloc IntPtr[m];
        var r = stackalloc IntPtr[m];
        for (int i = 0; i < n; i++)
        {
            o[i] = outputs[i].Handle;
            g[i] = gradOutputs?[i]?.Handle ?? IntPtr.Zero;
        }
        for (int i = 0; i < m; i++) x[i] = inputs[i].Handle;
        int status = Native.ist_grad(o, g, n, x, m, retainGraph ? 1 : 0, createGraph ? 1 : 0, allowUnused ? 1 : 0, r);
        GC.KeepAlive(outputs);
        GC.KeepAlive(inputs);
        GC.KeepAlive(gradOutputs);
        HookRegistry.RethrowPending();
        Native.Check(status);
        var result = new Tensor?[m];
        for (int i = 0; i < m; i++) result[i] = r[i] == IntPtr.Zero ? null : new Tensor(r[i]);
        return result;
    }

    public static bool IsGradEnabled
    {
        get { Native.Check(Native.ist_grad_enabled(out var e)); return e != 0; }
        set => Native.Check(Native.ist_set_grad_enabled(value ? 1 : 0));
    }

    /// <summary>Disables gradient recording until disposed (torch.no_grad()).</summary>
    public static IDisposable NoGrad() => new GradModeGuard(false);

    /// <summary>Enables gradient recording until disposed (torch.enable_grad()).</summary>
    public static IDisposable EnableGrad() => new GradModeGuard(true);

    /// <summary>
    /// Inference mode (torch.inference_mode()): no autograd bookkeeping at all, the fastest way to evaluate.
    /// Tensors made inside cannot later take part in autograd. Dispose on the same thread.
    /// </summary>
    public static IDisposable InferenceMode() => new InferenceModeGuard();

    private sealed class GradModeGuard : IDisposable
    {
        private readonly bool _previous;
        private bool _done;

        public GradModeGuard(bool enabled)
        {
            _previous = IsGradEnabled;
            IsGradEnabled = enabled;
        }

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            IsGradEnabled = _previous;
        }
    }

    private sealed class InferenceModeGuard : IDisposable
    {
        private IntPtr _guard;

        public InferenceModeGuard() => Native.Check(Native.ist_inference_mode_enter(out _guard));

        public void Dispose()
        {
            if (_guard == IntPtr.Zero) return;
            Native.Check(Native.ist_inference_mode_exit(_guard));
            _guard = IntPtr.Zero;
        }
    }
}

/// <summary>A gradient hook on a tensor: the function sees the incoming gradient and may return a replacement.</summary>
public sealed class GradientHook : IDisposable
{
    private readonly Tensor _tensor;
    private readonly nint _id;
    private readonly long _nativeId;
    private bool _removed;

    internal GradientHook(Tensor tensor, Func<Tensor, Tensor?> function)
    {
        _tensor = tensor;
        _id = HookRegistry.Add(function);
        try
        {
            _nativeId = HookRegistry.Attach(tensor, _id);
        }
        catch
        {
            HookRegistry.Remove(_id);
            throw;
        }
    }

    /// <summary>Removes the hook; it no longer runs in later backward passes.</summary>
    public void Dispose()
    {
        if (_removed) return;
        _removed = true;
        if (!_tensor.IsDisposed) Native.Check(Native.ist_tensor_remove_hook(_tensor.Handle, _nativeId));
        // A graph that outlived the tensor handle may still call the engine-side hook: it finds no function and
        // keeps the gradient.
        HookRegistry.Remove(_id);
    }
}

/// <summary>
/// Managed gradient hooks by id. The engine is given an id, not a pointer to a managed object: a graph can outlive
/// the removal of its hook (when its tensor handle was freed first), and a call for a removed id is then harmless.
/// </summary>
internal static class HookRegistry
{
    private static readonly ConcurrentDictionary<nint, Func<Tensor, Tensor?>> Functions = new();
    private static long _lastId;

    // Not thread-static: on GPUs the engine runs hooks on its own device threads, not on the thread that called
    // backward and rethrows.
    private static Exception? _pending;

    internal static nint Add(Func<Tensor, Tensor?> function)
    {
        var id = (nint)Interlocked.Increment(ref _lastId);
        Functions[id] = function;
        return id;
    }

    internal static void Remove(nint id) => Functions.TryRemove(id, out _);

    /// <summary>Has the engine call the function registered as id with this tensor's gradient; returns the engine's hook id.</summary>
    internal static unsafe long Attach(Tensor tensor, nint id)
    {
        Native.Check(Native.ist_tensor_register_hook(tensor.Handle, &Callback, id, out var nativeId));
        GC.KeepAlive(tensor);
        return nativeId;
    }

    [UnmanagedCallersOnly]
    private static IntPtr Callback(IntPtr grad, IntPtr ctx)
    {
        try
        {
            using var g = new Tensor(grad).DetachFromScope();
            if (!Functions.TryGetValue(ctx, out var function)) return IntPtr.Zero;
            var result = function(g);
            if (result is null || ReferenceEquals(result, g)) return IntPtr.Zero;
            // Ownership of a fresh handle passes to the engine.
            Native.Check(Native.ist_tensor_clone_handle(result.Handle, out var h));
            return h;
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _pending, e, null);
            return IntPtr.Zero;
        }
    }

    internal static void RethrowPending()
    {
        var e = Interlocked.Exchange(ref _pending, null);
        if (e is not null) throw new TorchException("a gradient hook failed: " + e.Message, e);
    }
}

public partial class Tensor
{
    /// <summary>
    /// Runs fn on this tensor's gradient during backward; fn may return a replacement gradient (or null to keep it).
    /// Dispose the returned hook to remove it.
    /// </summary>
    public GradientHook RegisterHook(Func<Tensor, Tensor?> fn) => new(this, fn);

    /// <summary>Backward from this (scalar) tensor.</summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        Autograd.Backward(new[] { this }, gradient is null ? null : new[] { gradient }, retainGraph, createGraph);
}
