using System.Text.Json;

namespace InSitu.Common;

/// <summary>Reads a JSON record from a file; what is wrong with the file is one line naming it.</summary>
public static class JsonFile
{
    public static T Read<T>(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist", path);
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), JsonSettings.Options)
                ?? throw new InvalidDataException($"'{path}' is empty (null); the run that wrote it was interrupted or it was edited");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid {typeof(T).Name} record at {e.Path ?? "$"}: " +
                $"{e.Message.Split('\n')[0]}");
        }
    }
}
