using System.Diagnostics;
using Xunit.Abstractions;

namespace InSitu.Tests.Fuzz;

/// <summary>
/// `insitu synth` into a 2 MB tmpfs runs out of space: one error line, exit 1, and no temporary file left behind.
/// Mounting needs root and a machine that allows it; elsewhere the test passes after saying why it did not run
/// (xunit 2 has no runtime skip).
/// </summary>
[Trait("Category", "Fuzz")]
public class FullDiskTests(ITestOutputHelper output) : TempFolderTest
{
    private static (int code, string error) Sh(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(start)!;
            p.StandardOutput.ReadToEnd();
            var error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, error.Trim());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }

    [Fact]
    public void SynthOnAFullDiskFailsInOneLineAndLeavesNoTemporaryFiles()
    {
        var disk = Directory.CreateDirectory(Path.Combine(dir, "small")).FullName;
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            output.WriteLine("not run: mounting a tmpfs needs root on Linux");
            return;
        }
        var (code, error) = Sh("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", disk);
        if (code != 0)
        {
            output.WriteLine($"not run: this machine does not allow mounting a tmpfs ({error})");
            return;
        }
        try
        {
            var tables = Path.Combine(TestPaths.SharedData, "bdgp-annotations");
            var outDir = Path.Combine(disk, "synth");
            var line = CliRunner.Fails(1, Run("synth", "--out", outDir, "--images", "400", "--tables", tables));
            output.WriteLine(line);
            Assert.Contains("space", line, StringComparison.OrdinalIgnoreCase);
            var left = Directory.EnumerateFileSystemEntries(disk, "*", SearchOption.AllDirectories)
                .Where(p => Path.GetFileName(p).StartsWith('.') && Path.GetFileName(p).Contains(".tmp", StringComparison.Ordinal)).ToList();
            Assert.True(left.Count == 0, $"temporary files left: {string.Join(", ", left.Take(5))}");
            Assert.False(File.Exists(Path.Combine(outDir, "manifest.csv")), "a manifest was written for a dataset that is not whole");
        }
        finally
        {
            Sh("umount", disk);
        }
    }

    /// <summary>The CLI's output without the progress display's lines (Spectre writes them to stdout).</summary>
    private static (int code, string stdout, string stderr) Run(params string[] args)
    {
        var (code, _, stderr) = CliRunner.Run(args);
        return (code, "", stderr);
    }
}
