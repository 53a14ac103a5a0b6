using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using InSitu.Cli;

namespace InSitu.Tests.Cli;

/// <summary>
/// How `insitu` fails: one line on stderr naming what is wrong, nothing on stdout, exit code 1 for bad input and 2
/// (with a log file holding the trace) for anything unexpected.
/// </summary>
public class CliErrorTests : TempFolderTest
{
    [Fact]
    public void AMissingManifestIsNamed()
    {
        var manifest = Path.Combine(dir, "nowhere.csv");
        var line = CliRunner.Fails(1, CliRunner.Run("stage", "train", manifest, "--method", "plain", "--out", Path.Combine(dir, "run")));
        Assert.Equal($"error: manifest '{manifest}' does not exist", line);
        Assert.False(Directory.Exists(Path.Combine(dir, "run")));
    }

    [Fact]
    public void ABadConfigIsNamedWithItsJsonPath()
    {
        var config = Path.Combine(dir, "bad.json");
        File.WriteAllText(config, "{\"fine\": {\"epochs\": \"many\"}}");
        var line = CliRunner.Fails(1,
            CliRunner.Run("stage", "train", Path.Combine(dir, "m.csv"), "--config", config, "--out", Path.Combine(dir, "run")));
        Assert.Equal($"error: {config}: $.fine.epochs: The JSON value could not be converted to System.Int32.", line);
    }

    [Fact]
    public void AnUnknownMethodListsTheKnownOnes()
    {
        var line = CliRunner.Fails(1,
            CliRunner.Run("stage", "train", Path.Combine(dir, "m.csv"), "--method", "magic", "--out", Path.Combine(dir, "run")));
        Assert.Equal("error: unknown method 'magic': use gabor, plain, data, data+feature", line);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("-0.5")]
    [InlineData("Infinity")]
    public void SynthRefusesAJitterOutOfRangeNaNIncluded(string jitter)
    {
        var tables = Path.Combine(TestPaths.SharedData, "bdgp-annotations");
        Assert.Equal("error: --jitter must be between 0 and 2 stages",
            CliRunner.Fails(1,
                CliRunner.Run("synth", "--out", Path.Combine(dir, "s"), "--images", "2", "--jitter", jitter, "--tables", tables)));
        Assert.False(Directory.Exists(Path.Combine(dir, "s")));
    }

    [Fact]
    public void AMethodWithoutANetworkOrAnInvalidConfigInModelJsonIsRefusedNamingTheFile()
    {
        var run = Directory.CreateDirectory(Path.Combine(dir, "run")).FullName;
        var config = InSitu.Workflows.Stages.StageConfig.Demo with { BaseWidth = 4 };
        using (var net = new InSitu.Models.ResNet(config.Network(InSitu.Data.PreciseStage.Count)))
            InSitu.Workflows.Stages.StageModelInfo.Save(run, "model", InSitu.Workflows.Stages.StageMethods.Plain, config, net);
        var info = Path.Combine(run, "model.json");
        var good = File.ReadAllText(info);
        File.WriteAllText(info, good.Replace("\"plain\"", "\"gabor\"", StringComparison.Ordinal));
        Assert.StartsWith($"error: '{info}': a gabor run has no network to load",
            CliRunner.Fails(1, CliRunner.Run("stage", "evaluate", run, Path.Combine(dir, "m.csv"))));
        File.WriteAllText(info, good.Replace("\"base_width\": 4", "\"base_width\": 0", StringComparison.Ordinal));
        Assert.Equal($"error: '{info}': its config is invalid: base_width must be at least 1 (got 0)",
            CliRunner.Fails(1, CliRunner.Run("stage", "evaluate", run, Path.Combine(dir, "m.csv"))));
        // an absolute weights path that is no file: the record is named, not only '/'
        File.WriteAllText(info, good.Replace("\"model.pt\"", "\"/\"", StringComparison.Ordinal));
        Assert.Equal($"error: '{info}': its weights '/' are missing (no file '/')",
            CliRunner.Fails(1, CliRunner.Run("explain", run, Path.Combine(dir, "x.png"), "--out", Path.Combine(dir, "maps"))));
    }

    [Fact]
    public void APathThatIsNoPathNamesTheManifestAndLine()
    {
        var manifest = Path.Combine(dir, "m.csv");
        File.WriteAllText(manifest, "path,stage\nx.png,5\nx\0y.png,6\n");
        Assert.StartsWith($"error: {manifest}:3: path 'x\\0y.png' is not a valid path",
            CliRunner.Fails(1, CliRunner.Run("data", "stats", manifest)));
    }

    [Fact]
    public void AnUnknownCommandIsAnErrorEvenWithHelp()
    {
        const string Commands = "demo, data, synth, stage, bags, explain, gem, model, weights, serve, terms";
        Assert.Equal($"error: unknown command 'frobnicate' for 'insitu' (commands: {Commands})",
            CliRunner.Fails(1, CliRunner.Run("frobnicate", "extract", "--help")));
        Assert.Equal($"error: unknown command 'frobnicate' for 'insitu' (commands: {Commands})",
            CliRunner.Fails(1, CliRunner.Run("frobnicate", "extract")));
        Assert.Equal("error: unknown command 'fit' for 'insitu terms' (commands: extract, finetune, train, evaluate, predict, compare)",
            CliRunner.Fails(1, CliRunner.Run("terms", "fit", "--help")));
        Assert.Equal("error: unknown command 'extract' for 'insitu stage' (commands: compare, train, evaluate, predict)",
            CliRunner.Fails(1, CliRunner.Run("stage", "extract", "--help")));
    }

    [Fact]
    public void HelpOfAKnownCommandStillShowsDespiteMissingArguments()
    {
        var (code, stdout, stderr) = CliRunner.Run("stage", "train", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--method", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void ParseErrorsAreOneLineEach()
    {
        Assert.Equal("error: Unrecognized command or argument '--bogus'.",
            CliRunner.Fails(1, CliRunner.Run("data", "stats", Path.Combine(dir, "m.csv"), "--bogus")));
        Assert.Equal("error: Required argument 'manifest' missing for command: 'stats'.",
            CliRunner.Fails(1, CliRunner.Run("data", "stats")));
        Assert.Equal("error: Cannot parse argument 'three' for option '--seeds' as expected type 'System.Int32'.",
            CliRunner.Fails(1, CliRunner.Run("demo", "--seeds", "three")));
        Assert.StartsWith("error: Argument 'turbo' not recognized. Must be one of:",
            CliRunner.Fails(1, CliRunner.Run("stage", "evaluate", dir, Path.Combine(dir, "m.csv"), "--engine", "turbo")),
            StringComparison.Ordinal);
        // two problems, two lines
        var (code, stdout, stderr) = CliRunner.Run("stage", "train");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal(["error: Option '--out' is required.", "error: Required argument 'manifest' missing for command: 'train'."],
            stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>`insitu` with a command that fails the way a bug does.</summary>
    private static RootCommand WithFailingCommand(Func<int> action)
    {
        var root = InSitu.Cli.Cli.Build();
        var crash = new Command("crash");
        crash.Options.Add(new Option<int>("--n"));
        crash.SetAction(_ => action());
        root.Subcommands.Add(crash);
        return root;
    }

    private static int Dereference(string? text) => text!.Length;

    [Fact]
    public void AnUnexpectedExceptionIsOneLineAndALogWithTheTrace()
    {
        var previous = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        Environment.SetEnvironmentVariable("XDG_STATE_HOME", dir);
        try
        {
            var line = CliRunner.Fails(2, CliRunner.Run(WithFailingCommand(() => Dereference(null)), "crash", "--n", "3"));
            var match = Regex.Match(line,
                @"^error: unexpected NullReferenceException: Object reference not set to an instance of an object\. \(details: (.+)\)$");
            Assert.True(match.Success, line);
            var log = match.Groups[1].Value;
            Assert.Equal(Path.Combine(dir, "insitu", "logs"), Path.GetDirectoryName(log));
            var text = File.ReadAllText(log);
            Assert.StartsWith($"InSitu {InSitu.Cli.Cli.Version}\ntime: ", text);
            Assert.Contains("\ncommand: insitu crash --n 3\n", text);
            Assert.Contains("System.NullReferenceException: Object reference not set to an instance of an object.", text);
            Assert.Contains($"at {typeof(CliErrorTests).FullName}.{nameof(Dereference)}", text);
        }
        finally
        {
            Environment.SetEnvironmentVariable("XDG_STATE_HOME", previous);
        }
    }

    [Fact]
    public void AggregateExceptionsAreJudgedByWhatTheyWrap()
    {
        var previous = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        Environment.SetEnvironmentVariable("XDG_STATE_HOME", dir);
        try
        {
            var input = WithFailingCommand(() => throw new AggregateException(new InvalidDataException("'x.csv': bad row")));
            Assert.Equal("error: 'x.csv': bad row", CliRunner.Fails(1, CliRunner.Run(input, "crash")));
            var bug = WithFailingCommand(() => throw new AggregateException(new NotSupportedException("no way")));
            var line = CliRunner.Fails(2, CliRunner.Run(bug, "crash"));
            Assert.StartsWith("error: unexpected NotSupportedException: no way (details: ", line);
        }
        finally
        {
            Environment.SetEnvironmentVariable("XDG_STATE_HOME", previous);
        }
    }

    [Fact]
    public void TheLogGoesToTheStateFolderElseTheTempFolder()
    {
        var temp = Path.Combine(Path.GetTempPath(), "insitu", "logs");
        string? Env(string name, string? xdg, string? home) => name switch { "XDG_STATE_HOME" => xdg, "HOME" => home, _ => null };
        Assert.Equal([Path.Combine("/state", "insitu", "logs"), temp], CrashLog.Folders(n => Env(n, "/state", "/home/u")));
        Assert.Equal([Path.Combine("/home/u", ".local", "state", "insitu", "logs"), temp],
            CrashLog.Folders(n => Env(n, "relative", "/home/u")));
        Assert.Equal([temp], CrashLog.Folders(n => Env(n, null, null)));

        // a state folder that cannot be created: the log lands in the temp folder
        var previous = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        var blocker = Path.Combine(dir, "a-file");
        File.WriteAllText(blocker, "");
        Environment.SetEnvironmentVariable("XDG_STATE_HOME", blocker);
        try
        {
            var log = CrashLog.Write(new InvalidCastException("test"), ["x"], "0.0.0");
            try
            {
                Assert.Equal(temp, Path.GetDirectoryName(log));
                Assert.Contains("System.InvalidCastException: test", File.ReadAllText(log));
            }
            finally
            {
                File.Delete(log);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("XDG_STATE_HOME", previous);
        }
    }

    [Fact]
    public void ThreadSettingMustBeAPositiveInteger()
    {
        Assert.Equal(3, TorchRuntime.ThreadsFromSetting("3"));
        Assert.Equal(Environment.ProcessorCount, TorchRuntime.ThreadsFromSetting(null));
        Assert.Equal(Environment.ProcessorCount, TorchRuntime.ThreadsFromSetting(" "));
        foreach (var bad in new[] { "0", "-2", "four", "2.5", "99999999999" })
            Assert.Equal($"INSITU_THREADS must be a positive whole number of threads, not '{bad}' " +
                $"(unset it to use all {Environment.ProcessorCount} cores)",
                Assert.Throws<ArgumentException>(() => TorchRuntime.ThreadsFromSetting(bad)).Message);
    }

    [Theory]
    [InlineData("INSITU_THREADS", "four", "error: INSITU_THREADS must be a positive whole number of threads, not 'four' " +
        "(unset it to use all {0} cores)")]
    [InlineData("INSITU_OMP_WAIT", "spin", "error: INSITU_OMP_WAIT must be active, passive or default, not 'spin'")]
    public async Task AnInvalidEngineSettingIsRefusedByTheCommand(string variable, string value, string expected)
    {
        // the engine reads its settings once per process, so this needs a process of its own
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "InSitu.Cli.dll"), "--version" })
            start.ArgumentList.Add(a);
        start.Environment[variable] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(string.Format(CultureInfo.InvariantCulture, expected, Environment.ProcessorCount),
            CliRunner.Fails(1, (process.ExitCode, await stdout, await stderr)));
    }

    [Fact]
    public void DemoChecksItsArgumentsBeforeSimulating()
    {
        var outDir = Path.Combine(dir, "demo");
        var tables = Path.Combine(TestPaths.SharedData, "bdgp-annotations");
        Assert.Equal("error: --seeds must be at least 1",
            CliRunner.Fails(1, CliRunner.Run("demo", "--out", outDir, "--seeds", "0", "--tables", tables)));
        Assert.Equal("error: --per-stage must be at least 6 (train, validation and test need images of every stage)",
            CliRunner.Fails(1, CliRunner.Run("demo", "--out", outDir, "--per-stage", "5", "--tables", tables)));
        Assert.Equal("error: --coarse-factor must be at least 1",
            CliRunner.Fails(1, CliRunner.Run("demo", "--out", outDir, "--coarse-factor", "0", "--tables", tables)));
        var config = Path.Combine(dir, "bad.json");
        File.WriteAllText(config, "{\"fine\": {\"epochz\": 3}}");
        Assert.StartsWith($"error: {config}: unknown setting '$.fine.epochz'",
            CliRunner.Fails(1, CliRunner.Run("demo", "--out", outDir, "--per-stage", "6", "--config", config, "--tables", tables)));
        Assert.Equal($"error: config file '{Path.Combine(dir, "none.json")}' does not exist",
            CliRunner.Fails(1, CliRunner.Run("demo", "--out", outDir, "--config", Path.Combine(dir, "none.json"), "--tables", tables)));
        Assert.False(Directory.Exists(outDir));
    }
}
