namespace InSitu.Torch.NN;

/// <summary>A trainable tensor of a module: requires gradients and lives outside dispose scopes.</summary>
public sealed class Parameter : Tensor
{
    /// <summary>Wraps a detached alias of data (the caller keeps ownership of data itself).</summary>
    public Parameter(Tensor data, bool requiresGrad = true) : base(DetachedHandle(data))
    {
        DetachFromScope();
        RequiresGrad = requiresGrad;
    }

    private static IntPtr DetachedHandle(Tensor data)
    {
        using var d = data.Detach();
        Native.Check(Native.ist_tensor_clone_handle(d.Handle, out var h));
        return h;
    }
}
