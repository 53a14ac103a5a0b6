using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace InSitu.Models.Pretrained;

/// <summary>
/// Reads the JavaScript literals a minified bundle holds as data: objects (identifier, string or number keys),
/// arrays, strings, numbers (<c>.5</c>, <c>-0</c>, <c>1e-3</c>), <c>true</c>/<c>false</c> and their minified forms
/// <c>!0</c>/<c>!1</c>, <c>null</c> and <c>void 0</c>. That is how nsfwjs ships its TF.js model (model.min.js: the
/// topology and weights manifest as an object literal; group1-shard*.min.js: the weights as one base64 string).
/// Nothing is evaluated: anything else is an error.
/// </summary>
public sealed class JsLiteral
{
    private readonly string _text;
    private int _pos;

    private JsLiteral(string text, int pos) => (_text, _pos) = (text, pos);

    /// <summary>Parses the literal that starts at <paramref name="start"/> (after whitespace) and where it ends.</summary>
    public static (JsonNode? value, int end) Parse(string text, int start)
    {
        var p = new JsLiteral(text, start);
        var v = p.Value();
        return (v, p._pos);
    }

    /// <summary>
    /// The value assigned by the first <c>.exports=</c> in <paramref name="text"/> whose right-hand side is a literal that
    /// <paramref name="accept"/> accepts (a browserify bundle also holds <c>module.exports=e()</c>, which is code).
    /// </summary>
    public static JsonNode? Exported(string text, Func<JsonNode?, bool> accept, string what)
    {
        const string marker = ".exports=";
        for (int i = text.IndexOf(marker, StringComparison.Ordinal); i >= 0; i = text.IndexOf(marker, i + 1, StringComparison.Ordinal))
        {
            try
            {
                var (value, _) = Parse(text, i + marker.Length);
                if (accept(value)) return value;
            }
            catch (FormatException)
            {
                // code, not data: try the next assignment
            }
        }
        throw new InvalidDataException($"{what}: no exported data literal found (is this an nsfwjs model bundle?)");
    }

    private FormatException Error(string what) =>
        new($"{what} at character {_pos.ToString(CultureInfo.InvariantCulture)} of a JavaScript literal");

    private void SkipSpace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos])) _pos++;
    }

    private char Peek()
    {
        SkipSpace();
        return _pos < _text.Length ? _text[_pos] : '\0';
    }

    private bool TakeWord(string word)
    {
        if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0) return false;
        int end = _pos + word.Length;
        if (end < _text.Length && IsIdentifierChar(_text[end])) return false;
        _pos = end;
        return true;
    }

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';

    private JsonNode? Value()
    {
        char c = Peek();
        switch (c)
        {
            case '{': return Object();
            case '[': return Array();
            case '"' or '\'': return JsonValue.Create(String());
            case '!':
                // minifiers write true as !0 and false as !1
                _pos++;
                if (TakeWord("0")) return JsonValue.Create(true);
                if (TakeWord("1")) return JsonValue.Create(false);
                throw Error("unsupported negation");
        }
        if (c == '-' || c == '+' || c == '.' || char.IsAsciiDigit(c)) return JsonValue.Create(Number());
        if (TakeWord("true")) return JsonValue.Create(true);
        if (TakeWord("false")) return JsonValue.Create(false);
        if (TakeWord("null")) return null;
        if (TakeWord("void"))
        {
            SkipSpace();
            if (TakeWord("0")) return null;
        }
        throw Error(c == '\0' ? "unexpected end" : $"unexpected '{c}'");
    }

    private JsonObject Object()
    {
        _pos++;
        var obj = new JsonObject();
        while (true)
        {
            char c = Peek();
            if (c == '}')
            {
                _pos++;
                return obj;
            }
            string key;
            if (c is '"' or '\'') key = String();
            else if (IsIdentifierChar(c))
            {
                int start = _pos;
                while (_pos < _text.Length && IsIdentifierChar(_text[_pos])) _pos++;
                key = _text[start.._pos];
            }
            else throw Error($"unexpected '{c}' where a key belongs");
            if (Peek() != ':') throw Error("missing ':'");
            _pos++;
            obj[key] = Value();
            c = Peek();
            if (c == ',') _pos++;
            else if (c != '}') throw Error("missing ',' or '}'");
        }
    }

    private JsonArray Array()
    {
        _pos++;
        var arr = new JsonArray();
        while (true)
        {
            if (Peek() == ']')
            {
                _pos++;
                return arr;
            }
            arr.Add(Value());
            char c = Peek();
            if (c == ',') _pos++;
            else if (c != ']') throw Error("missing ',' or ']'");
        }
    }

    private string String()
    {
        char quote = _text[_pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length) throw Error("unterminated string");
            char c = _text[_pos++];
            if (c == quote) return sb.ToString();
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            if (_pos >= _text.Length) throw Error("unterminated string");
            char e = _text[_pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '0': sb.Append('\0'); break;
                case 'x': sb.Append((char)Hex(2)); break;
                case 'u': sb.Append((char)Hex(4)); break;
                default: sb.Append(e); break;  // \" \' \\ \/ and any other escaped character stand for themselves
            }
        }
    }

    private int Hex(int digits)
    {
        if (_pos + digits > _text.Length ||
            !int.TryParse(_text.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int v))
            throw Error("bad escape");
        _pos += digits;
        return v;
    }

    private double Number()
    {
        int start = _pos;
        if (_text[_pos] is '-' or '+') _pos++;
        while (_pos < _text.Length && (char.IsAsciiDigit(_text[_pos]) || _text[_pos] == '.')) _pos++;
        if (_pos < _text.Length && _text[_pos] is 'e' or 'E')
        {
            _pos++;
            if (_pos < _text.Length && _text[_pos] is '-' or '+') _pos++;
            while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos])) _pos++;
        }
        if (!double.TryParse(_text.AsSpan(start, _pos - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            throw Error("bad number");
        return v;
    }
}
