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

    public static bool IsChannelsLast(Tensor t)
    {
        var s = t.stride();
        return t.dim() == 4 && s[1] == 1 && s[3] == t.shape[1] && s[2] == t.shape[1] * t.shape[3];
    }
}
