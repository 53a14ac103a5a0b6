using System.Runtime.InteropServices;

namespace LibTorch210.Bench;

/// <summary>
/// CPU autocast (bfloat16) in libtorch 2.10. TorchSharp 0.107 exposes none, so this calls the same libtorch entry
/// points InSitu's shim calls (at::autocast::set_autocast_enabled / set_autocast_dtype / clear_cache), exported
/// by libtorch_cpu.so that TorchSharp has already loaded. Arguments are plain enums and a bool, so the C++ ABI is
/// the C one. Disposing turns it off and clears the weight-cast cache, as leaving torch.autocast does.
/// </summary>
public sealed partial class Autocast : IDisposable
{
    private const sbyte DeviceCpu = 0, ScalarBFloat16 = 15;
    private const string Lib = "torch_cpu";

    public Autocast()
    {
        SetDtype(DeviceCpu, ScalarBFloat16);
        SetEnabled(DeviceCpu, 1);
    }

    public static bool IsEnabled => IsEnabledNative(DeviceCpu) != 0;

    /// <summary>Whether, inside an autocast region, an fp32 convolution really comes out in bfloat16.</summary>
    public static bool ConvolutionRunsInBFloat16()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var autocast = new Autocast();
        var x = TorchSharp.torch.ones(1, 2, 4, 4);
        var w = TorchSharp.torch.ones(3, 2, 3, 3);
        return IsEnabled && TorchSharp.torch.nn.functional.conv2d(x, w).dtype == TorchSharp.torch.ScalarType.BFloat16;
    }

    public void Dispose()
    {
        SetEnabled(DeviceCpu, 0);
        ClearCache();
    }

    [LibraryImport(Lib, EntryPoint = "_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb")]
    private static partial void SetEnabled(sbyte device, byte enabled);

    [LibraryImport(Lib, EntryPoint = "_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE")]
    private static partial void SetDtype(sbyte device, sbyte dtype);

    [LibraryImport(Lib, EntryPoint = "_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE")]
    private static partial byte IsEnabledNative(sbyte device);

    [LibraryImport(Lib, EntryPoint = "_ZN2at8autocast11clear_cacheEv")]
    private static partial void ClearCache();
}
