using System.Text.Json;
using System.Text.Json.Serialization;

namespace InSitu.Common;

/// <summary>The one JSON dialect of run directories, configs and model records: snake_case names, enums by name.</summary>
public static class JsonSettings
{
    // NaN (e.g. the accuracy of a stage without test images) is written as "NaN", not refused
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new NamedEnumConverterFactory() },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}

/// <summary>
/// Enums as lower-case names ("margin", "resnet18"). Reading ignores case, '_' and '-', and an unknown name is an
/// error that lists the valid ones, so a typo in a config says what was meant.
/// </summary>
public sealed class NamedEnumConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(NamedEnumConverter<>).MakeGenericType(typeToConvert))!;

    private sealed class NamedEnumConverter<T> : JsonConverter<T> where T : struct, Enum
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
                throw new JsonException($"expected one of {string.Join(", ", EnumNames.All<T>())} (a string), not {reader.TokenType}");
            try
            {
                return EnumNames.Parse<T>(reader.GetString()!);
            }
            catch (ArgumentException e)
            {
                throw new JsonException(e.Message);
            }
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteStringValue(EnumNames.Name(value));
    }
}

/// <summary>The names enums are written and read by, for JSON and for command-line options alike.</summary>
public static class EnumNames
{
    public static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    public static IEnumerable<string> All<T>() where T : struct, Enum => Enum.GetValues<T>().Select(Name);

    public static T Parse<T>(string text) where T : struct, Enum
    {
        static string Key(string s)
            => s.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        foreach (var v in Enum.GetValues<T>())
            if (Key(v.ToString()) == Key(text)) return v;
        throw new ArgumentException($"unknown {typeof(T).Name} '{text}': use {string.Join(", ", All<T>())}");
    }
}
