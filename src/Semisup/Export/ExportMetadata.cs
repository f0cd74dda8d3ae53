using System.Globalization;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Semisup.Export;

/// <summary>The metadata an exported model carries (ONNX metadata_props, safetensors __metadata__): string keys and values.</summary>
public static class ExportMetadata
{
    public const string Dataset = "dataset", TestAccuracy = "test_accuracy", SemisupVersion = "semisup_version";

    /// <summary>The class names in label order (output k is the k-th name), as a JSON array of strings.</summary>
    public const string Classes = "classes";

    /// <summary>The temperature the model's probabilities divide its logits by (Guo et al. 2017), when its checkpoint holds
    /// one; an ONNX graph applies it itself, a PyTorch user divides the logits by it before the softmax.</summary>
    public const string Temperature = "temperature";

    /// <summary>The metadata with <paramref name="temperature"/> under <see cref="Temperature"/>, when there is one.</summary>
    public static Dictionary<string, string> WithTemperature(IReadOnlyDictionary<string, string> metadata, double? temperature)
    {
        var m = new Dictionary<string, string>(metadata);
        if (temperature is { } t) m[Temperature] = t.ToString("R", CultureInfo.InvariantCulture);
        else m.Remove(Temperature);
        return m;
    }

    /// <summary>The temperature <see cref="WithTemperature"/> wrote, 1 without one; <paramref name="source"/> names the
    /// file in the error for a value that is not a positive number.</summary>
    public static double TemperatureOf(IReadOnlyDictionary<string, string> metadata, string source)
    {
        if (!metadata.TryGetValue(Temperature, out var text)) return 1;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) && double.IsFinite(t) && t > 0 ? t
            : throw new SemisupException($"{source}: its metadata '{Temperature}' is not a positive number ({Truncate(text)}); export it again with `semisup export`.");
    }

    /// <summary>The ONNX input's shape as a JSON array, ["N", C, H, W] (N: the dynamic batch), and its description.</summary>
    public const string InputShape = "input_shape", InputDescription = "input_description";

    /// <summary>This build's version, with the commit the SDK records (1.0.0+sha).</summary>
    public static string Version { get; } =
        typeof(ExportMetadata).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <param name="classes">The class names, in label order.</param>
    /// <param name="testAccuracy">Accuracy on the dataset's test set, in [0, 1], if measured.</param>
    /// <param name="trainedWith">What the model was trained with, as its caller names it, first in the file.</param>
    public static Dictionary<string, string> Create(string dataset, IReadOnlyList<string> classes, double? testAccuracy, IReadOnlyDictionary<string, string>? trainedWith = null)
    {
        var m = new Dictionary<string, string>(trainedWith ?? new Dictionary<string, string>())
        {
            [Dataset] = dataset, [Classes] = JsonSerializer.Serialize(classes, Readable), [SemisupVersion] = Version,
        };
        if (testAccuracy is { } a) m[TestAccuracy] = a.ToString("0.####", CultureInfo.InvariantCulture);
        return m;
    }

    /// <summary>The class names <see cref="Create"/> wrote, or null when the metadata has none (an export from before
    /// they were written); <paramref name="source"/> names the file in the error for a value that is not such a list.</summary>
    public static string[]? ClassNames(IReadOnlyDictionary<string, string> metadata, string source)
    {
        if (!metadata.TryGetValue(Classes, out var json)) return null;
        string[]? names = null;
        try { names = JsonSerializer.Deserialize<string[]>(json); }
        catch (JsonException) { }
        if (names == null || names.Any(n => n == null))
            throw new SemisupException($"{source}: its metadata '{Classes}' is not a JSON array of class names ({Truncate(json)}); export it again with `semisup export`.");
        return names;
    }

    /// <summary>Names as written, not as \u escapes: the value is read as JSON, never inserted in HTML.</summary>
    static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static string Truncate(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
