using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace InSitu.Tests.Fuzz;

/// <summary>What a bad input must lead to.</summary>
internal enum Expect
{
    /// <summary>Refused: exit 1, one `error: ` line, naming the case's file (or bad value) where it has one.</summary>
    Refused,

    /// <summary>Unusual but valid: exit 0, or a clean refusal.</summary>
    Either,
}

internal enum Outcome { Clean, Crash, Silent, Hang }

/// <summary>
/// One generated input: the `insitu` arguments that use it, what must happen, and what the error line must name
/// (a file, an option or the bad value; any one of them). <paramref name="Check"/> may add a condition of its own,
/// returning a reason when it fails (e.g. a failures file that must list the bad image).
/// </summary>
internal sealed record FuzzCase(string Class, string Name, string[] Args, Expect Expect, string[] Names, Func<string?>? Check = null)
{
    public override string ToString() => $"{Class}/{Name}: insitu {string.Join(' ', Args.Select(a => a.Contains(' ') ? $"'{a}'" : a))}";
}

internal sealed record FuzzResult(FuzzCase Case, Outcome Outcome, string Reason);

/// <summary>
/// Runs generated cases through the real command line (in-process) and classifies each: clean, crash (exit 2, a
/// stack trace, more than one line, a temporary file left behind), silent (accepted although bad, or refused for
/// another reason than the bad input) or hang (over the per-case time limit).
/// </summary>
internal static partial class FuzzHarness
{
    /// <summary>Cases per class: INSITU_FUZZ_CASES, else <paramref name="fallback"/>.</summary>
    public static int Cases(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("INSITU_FUZZ_CASES"), NumberStyles.Integer, CultureInfo.InvariantCulture,
            out var n) && n > 0 ? n : fallback;

    /// <summary>The seed: INSITU_FUZZ_SEED, else a fixed one, so `make test` always runs the same cases.</summary>
    public static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable("INSITU_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture,
            out var s) ? s : 20261123;

    public static TimeSpan CaseTimeout => TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"^\s+at \S+", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

    public static FuzzResult Run(FuzzCase c, string folder)
    {
        var task = Task.Run(() => CliRunner.Run(c.Args));
        if (!task.Wait(CaseTimeout)) return new(c, Outcome.Hang, $"still running after {CaseTimeout.TotalSeconds:F0} s");
        var (code, stdout, stderr) = task.Result;
        var result = Classify(c, code, stdout, stderr);
        if (result.Outcome == Outcome.Clean)
        {
            var left = Directory.EnumerateFiles(folder, ".*.tmp*", SearchOption.AllDirectories).FirstOrDefault();
            if (left is not null) return new(c, Outcome.Crash, $"left a temporary file behind: {left}");
        }
        return result;
    }

    private static FuzzResult Classify(FuzzCase c, int code, string stdout, string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string First() => lines.Length > 0 ? lines[0] : "(nothing on stderr)";
        if (StackFrame().IsMatch(stderr) || StackFrame().IsMatch(stdout)) return new(c, Outcome.Crash, "a stack trace: " + First());
        if (code == 0)
        {
            if (c.Expect == Expect.Refused) return new(c, Outcome.Silent, "accepted (exit 0)");
            if (c.Check?.Invoke() is { } why) return new(c, Outcome.Silent, why);
            return new(c, Outcome.Clean, "accepted");
        }
        if (code != 1) return new(c, Outcome.Crash, $"exit {code}: {First()}");
        if (lines.Length != 1 || !lines[0].StartsWith("error: ", StringComparison.Ordinal))
            return new(c, Outcome.Crash, $"{lines.Length} lines on stderr: {string.Join(" | ", lines.Take(3))}");
        if (c.Expect == Expect.Refused && c.Names.Length > 0 && !c.Names.Any(n => lines[0].Contains(n, StringComparison.Ordinal)))
            return new(c, Outcome.Silent, $"refused for another reason than the bad input ({string.Join(" or ", c.Names)}): {lines[0]}");
        if (c.Check?.Invoke() is { } reason) return new(c, Outcome.Silent, reason);
        return new(c, Outcome.Clean, lines[0]);
    }

    /// <summary>
    /// Runs the cases, writes the counts (and each failure) to <paramref name="output"/> and to the file named by
    /// INSITU_FUZZ_REPORT, and asserts that none crashed, hung or was silently accepted.
    /// </summary>
    public static void RunAll(string cls, IReadOnlyList<FuzzCase> cases, string folder, ITestOutputHelper output)
    {
        var results = cases.Select(c => Run(c, folder)).ToList();
        int Count(Outcome o) => results.Count(r => r.Outcome == o);
        var summary = $"fuzz {cls}: seed {Seed}, cases {results.Count}, clean {Count(Outcome.Clean)}, crash {Count(Outcome.Crash)}, " +
            $"silent {Count(Outcome.Silent)}, hang {Count(Outcome.Hang)}";
        var failures = results.Where(r => r.Outcome != Outcome.Clean).Select(r => $"  {r.Outcome}: {r.Case} -> {r.Reason}").ToList();
        Report(output, new[] { summary }.Concat(failures));
        Assert.True(failures.Count == 0, $"{summary}\n{string.Join('\n', failures)}");
    }

    /// <summary>
    /// Writes <paramref name="lines"/> to the test's output and appends them to the file named by INSITU_FUZZ_REPORT
    /// (`make fuzz`).
    /// </summary>
    public static void Report(ITestOutputHelper output, IEnumerable<string> lines)
    {
        var list = lines.ToList();
        foreach (var l in list) output.WriteLine(l);
        if (Environment.GetEnvironmentVariable("INSITU_FUZZ_REPORT") is { Length: > 0 } report) File.AppendAllLines(report, list);
    }

    /// <summary>Random text of <paramref name="length"/> bytes, control characters and invalid UTF-8 included.</summary>
    public static byte[] Garbage(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    public static T Pick<T>(this Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
