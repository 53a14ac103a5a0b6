using InSitu.Torch;

namespace InSitu.Data;

/// <summary>
/// What batch commands (data import, data standardize, stage predict) do with files they could not use: each is
/// skipped, listed with its reason in a CSV (path,reason) beside the output, and counted in one summary line.
/// </summary>
public static class FailureReport
{
    /// <summary>The failures CSV beside an output file: OUT.csv -> OUT.failures.csv.</summary>
    public static string PathBeside(string output)
    {
        var full = Path.GetFullPath(output);
        return Path.Combine(Path.GetDirectoryName(full)!, Path.GetFileNameWithoutExtension(full) + ".failures.csv");
    }

    /// <summary>
    /// Writes path,reason per failure (atomically; a header only when there were none, so no stale list survives a rerun).
    /// </summary>
    public static void Write(string file, IEnumerable<(string path, string reason)> failures) =>
        AtomicFile.WriteText(file,
            "path,reason\n" + string.Concat(failures.Select(f => Csv.Line(new[] { f.path, OneLine(f.reason) }) + "\n")));

    /// <summary>"VERB N of M images; K skipped, listed in FILE".</summary>
    public static string Summary(string verb, int used, int total, int skipped, string file) =>
        $"{verb} {used} of {total} images; {skipped} skipped{(skipped > 0 ? $", listed in {file}" : "")}";

    /// <summary>The error when no file could be used: names the failures file and the first reason.</summary>
    public static InvalidDataException NothingUsable(string what, int total, IReadOnlyList<(string path, string reason)> failures,
        string file) =>
        new($"none of the {total} images {what} could be used" +
            (failures.Count > 0 ? $" (e.g. {failures[0].path}: {OneLine(failures[0].reason)})" : "") +
            $"; each is listed with its reason in {file}");

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
