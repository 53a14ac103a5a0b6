using System.Runtime.InteropServices;

namespace InSitu.Torch;

/// <summary>
/// How libgomp's idle worker threads wait between parallel regions. By default they spin for a long while, which
/// on a machine with as many threads as cores takes the cores away from everything else in the process (the
/// loader's decode threads) and, when another process is running, from the thread the barrier waits for. libgomp
/// reads its settings once, when it is loaded, so they must be in the native environment before the engine loads.
/// INSITU_OMP_WAIT=active|passive|default chooses; a user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT always wins.
/// </summary>
internal static partial class OpenMpWaitPolicy
{
    /// <summary>The policy used when nothing is set, chosen by measurement (see README, Benchmark).</summary>
    public const string DefaultPolicy = "passive";

    public static void ApplyBeforeLoad()
    {
        if (!OperatingSystem.IsLinux()) return;
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null
            || Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is not null) return;
        var choice = Environment.GetEnvironmentVariable("INSITU_OMP_WAIT") ?? DefaultPolicy;
        switch (choice)
        {
            case "default":
                return;
            case "active" or "passive":
                // .NET keeps its own copy of the environment; libgomp reads the C library's
                if (setenv("OMP_WAIT_POLICY", choice.ToUpperInvariant(), 0) != 0)
                    throw new InvalidOperationException("could not set OMP_WAIT_POLICY in the process environment");
                return;
            default:
                throw new ArgumentException($"INSITU_OMP_WAIT must be active, passive or default, not '{choice}'");
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
