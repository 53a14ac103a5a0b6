using System.Diagnostics;
using InSitu.Torch;
using Xunit;

namespace InSitu.Tests.Cli;

/// <summary>
/// The BLAS behind libtorch: set-up installs OpenBLAS (the reference BLAS makes every matrix product about 80x slower),
/// and `insitu --version` names whichever BLAS the process really resolved.
/// </summary>
public class BlasReportTests
{
    // Debian's netlib reference BLAS (libblas3), installed with libtorch whatever the alternative points at.
    private const string ReferenceBlasFolder = "/usr/lib/x86_64-linux-gnu/blas";

    [Fact]
    public void SetupLeavesTheEngineOnAnOptimisedBlas()
    {
        var blas = TorchRuntime.Blas;
        Assert.True(File.Exists(blas.Path), $"sgemm_ resolved to '{blas.Path}', which does not exist");
        Assert.False(blas.IsReference, $"libtorch runs on the reference BLAS ({blas.Path}); 'make setup' installs OpenBLAS");
        Assert.StartsWith("OpenBLAS", blas.Name);
    }

    [Fact]
    public async Task VersionNamesTheReferenceBlasWhenAProcessIsGivenIt()
    {
        Assert.True(Directory.Exists(ReferenceBlasFolder), $"{ReferenceBlasFolder} (package libblas3, a libtorch dependency) is absent");
        // the library search path is read once per process, so this needs a process of its own
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "InSitu.Cli.dll"), "--version" })
            start.ArgumentList.Add(a);
        start.Environment["LD_LIBRARY_PATH"] = ReferenceBlasFolder;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await stderr);
        var line = (await stdout).Split('\n').Single(l => l.StartsWith("BLAS: ", StringComparison.Ordinal));
        Assert.StartsWith($"BLAS: reference BLAS ({ReferenceBlasFolder}/", line);
        Assert.EndsWith("slow; run 'make setup' to install libopenblas0-openmp", line.TrimEnd());
    }
}
