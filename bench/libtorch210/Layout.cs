using static TorchSharp.torch;

namespace LibTorch210.Bench;

/// <summary>
/// Channels-last (NHWC strides on an NCHW tensor). TorchSharp 0.107 has a memory_format enum but no method that
/// takes it, so the layout is made the way libtorch itself defines it: the same logical tensor with strides
/// (H*W*C, 1, W*C, C), which is what contiguous(memory_format=channels_last) returns and what oneDNN detects.
/// </summary>
public static class Layout
{
    public static Tensor ChannelsLast(Tensor t) => t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    /// <summary>libtorch's own test: strides dense in the order C, W, H, N, ignoring dimensions of size 1.</summary>
    public static bool IsChannelsLast(Tensor t)
    {
        if (t.dim() != 4) return false;
        long expected = 1;
        foreach (var d in new[] { 1, 3, 2, 0 })
        {
            if (t.shape[d] == 1) continue;
            if (t.stride(d) != expected) return false;
            expected *= t.shape[d];
        }
        return true;
    }
}
