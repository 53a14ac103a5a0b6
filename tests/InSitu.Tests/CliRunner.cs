using InSitu.Cli;

namespace InSitu.Tests;

/// <summary>Runs the `insitu` command in-process and captures what it prints.</summary>
internal static class CliRunner
{
    public static (int code, string output) Run(params string[] args)
    {
        var previous = Console.Out;
        var writer = new StringWriter();
        Console.SetOut(writer);
        try
        {
            int code = InSitu.Cli.Cli.Build().Parse(args).Invoke();
            return (code, writer.ToString());
        }
        finally
        {
            Console.SetOut(previous);
        }
    }
}
