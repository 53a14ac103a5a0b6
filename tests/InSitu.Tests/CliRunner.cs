namespace InSitu.Tests;

/// <summary>Runs the `insitu` command in-process and captures what it prints on stdout and on stderr.</summary>
internal static class CliRunner
{
    public static (int code, string stdout, string stderr) Run(params string[] args) => Run(InSitu.Cli.Cli.Build(), args);

    /// <summary>Runs <paramref name="root"/> (the `insitu` command, perhaps with a test command added) as `insitu` does.</summary>
    public static (int code, string stdout, string stderr) Run(System.CommandLine.RootCommand root, params string[] args)
    {
        TextWriter previousOut = Console.Out, previousError = Console.Error;
        StringWriter stdout = new(), stderr = new();
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            int code = InSitu.Cli.Cli.Run(root, args);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousError);
        }
    }

    /// <summary>
    /// Asserts that a run failed as the command line promises: exit code <paramref name="code"/>, nothing on stdout
    /// and one line on stderr, which it returns without its line break.
    /// </summary>
    public static string Fails(int code, (int code, string stdout, string stderr) run)
    {
        Assert.Equal("", run.stdout);
        Assert.EndsWith("\n", run.stderr);
        var line = run.stderr[..^1].TrimEnd('\r');
        Assert.DoesNotContain('\n', line);
        Assert.StartsWith("error: ", line);
        Assert.Equal(code, run.code);
        return line;
    }
}
