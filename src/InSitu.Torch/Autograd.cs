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
        private readonly bool previous;
        private bool done;

        public GradModeGuard(bool enabled)
        {
            previous = IsGradEnabled;
            IsGradEnabled = enabled;
        }

        public void Dispose()
        {
            if (done) return;
            done = true;
            IsGradEnabled = previous;
        }
    }

    private sealed class InferenceModeGuard : IDisposable
    {
        private IntPtr guard;

        public InferenceModeGuard() => Native.Check(Native.ist_inference_mode_enter(out guard));

        public void Dispose()
        {
            if (guard == IntPtr.Zero) return;
            Native.Check(Native.ist_inference_mode_exit(guard));
            guard = IntPtr.Zero;
        }
    }
}

/// <summary>A gradient hook on a tensor: the function sees the incoming gradient and may return a replacement.</summary>
public sealed class GradientHook : IDisposable
{
    private readonly Tensor tensor;
    private readonly long id;
    private readonly GCHandle self;
    internal readonly Func<Tensor, Tensor?> Function;
    private bool removed;

    internal GradientHook(Tensor tensor, Func<Tensor, Tensor?> function)
    {
        this.tensor = tensor;
        Function = function;
        self = GCHandle.Alloc(this);
        unsafe
        {
            Native.Check(Native.ist_tensor_register_hook(tensor.Handle, &HookRegistry.Callback, GCHandle.ToIntPtr(self), out id));
        }
    }

    /// <summary>Removes the hook; it no longer runs in later backward passes.</summary>
    public void Dispose()
    {
        if (removed) return;
        removed = true;
        if (!tensor.IsDisposed) Native.Check(Native.ist_tensor_remove_hook(tensor.Handle, id));
        // The closure stays alive while libtorch may still hold the hook; removal above guarantees it won't call it.
        self.Free();
    }
}

/// <summary>
/// Guided backpropagation (Springenberg et al.): while enabled on this thread, every ReLU output gets a hook that
/// lets only positive gradients back through it; ReLU's own backward then keeps only where its input was positive.
/// </summary>
public static class GuidedBackprop
{
    [ThreadStatic] private static List<GradientHook>? hooks;

    public static bool IsEnabled => hooks is not null;

    /// <summary>Guided mode for the forward passes (and their backward) inside the returned scope.</summary>
    public static IDisposable Enable()
    {
        if (hooks is not null) throw new InvalidOperationException("guided backpropagation is already enabled on this thread");
        hooks = new List<GradientHook>();
        return new Scope();
    }

    internal static void Observe(Tensor reluOutput)
    {
        if (hooks is not null && reluOutput.RequiresGrad) hooks.Add(reluOutput.RegisterHook(g => g.ClampMin(0)));
    }

    private sealed class Scope : IDisposable
    {
        public void Dispose()
        {
            var list = hooks;
            hooks = null;
            if (list is null) return;
            foreach (var h in list) h.Dispose();
        }
    }
}

internal static class HookRegistry
{
    [ThreadStatic] private static Exception? pending;

    [UnmanagedCallersOnly]
    internal static IntPtr Callback(IntPtr grad, IntPtr ctx)
    {
        try
        {
            var hook = (GradientHook)GCHandle.FromIntPtr(ctx).Target!;
            using var g = new Tensor(grad).DetachFromScope();
            var result = hook.Function(g);
            if (result is null || ReferenceEquals(result, g)) return IntPtr.Zero;
            // Ownership of a fresh handle passes to the engine.
            Native.Check(Native.ist_tensor_clone_handle(result.Handle, out var h));
            return h;
        }
        catch (Exception e)
        {
            pending ??= e;
            return IntPtr.Zero;
        }
    }

    internal static void RethrowPending()
    {
        var e = pending;
        pending = null;
        if (e is not null) throw new TorchException("a gradient hook failed: " + e.Message, e);
    }
}

public partial class Tensor
{
    /// <summary>
    /// Runs fn on this tensor's gradient during backward; fn may return a replacement gradient (or null to keep it).
    /// Used by guided backpropagation. Dispose the returned hook to remove it.
    /// </summary>
    public GradientHook RegisterHook(Func<Tensor, Tensor?> fn) => new(this, fn);

    /// <summary>Backward from this (scalar) tensor.</summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        Autograd.Backward(new[] { this }, gradient is null ? null : new[] { gradient }, retainGraph, createGraph);
}
