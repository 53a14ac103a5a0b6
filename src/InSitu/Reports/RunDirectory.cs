using InSitu.Common;
using InSitu.Torch;

namespace InSitu.Reports;

/// <summary>
/// The folder every command writes: config.json, metrics.json, checkpoints, report.html. Files are written
/// atomically (<see cref="AtomicFile"/>), so an interrupted run never leaves a half-written file behind.
/// </summary>
public sealed class RunDirectory
{
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

    public void WriteJson<T>(string name, T value) => WriteText(name, JsonSettings.Serialize(value));

    public void WriteText(string name, string text) => AtomicFile.WriteText(File(name), text);

    /// <summary>Reads a JSON file of this folder; a missing, empty or corrupt file is an error naming it.</summary>
    public T ReadJson<T>(string name) => JsonFile.Read<T>(File(name));
}
