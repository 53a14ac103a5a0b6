using System.Text.Json;

namespace InSitu.Reports;

/// <summary>
/// The folder every command writes: config.json, metrics.json, checkpoints, report.html. Files are written
/// atomically (temporary file, then rename), so an interrupted run never leaves a half-written file behind.
/// </summary>
public sealed class RunDirectory
{
    // NaN (e.g. the accuracy of a stage without test images) is written as "NaN", not refused
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public RunDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Subfolder(string name)
    {
        var p = File(name);
        Directory.CreateDirectory(p);
        return p;
    }

    public void WriteJson<T>(string name, T value) => WriteText(name, JsonSerializer.Serialize(value, Json));

    public void WriteText(string name, string text) => AtomicWrite(File(name), text);

    public static void AtomicWrite(string path, string text)
    {
        var tmp = $"{path}.{Environment.ProcessId}.tmp";
        System.IO.File.WriteAllText(tmp, text);
        System.IO.File.Move(tmp, path, overwrite: true);
    }
}
