using System.Globalization;
using System.Reflection;

namespace Semisup.Export;

/// <summary>The metadata an exported model carries (ONNX metadata_props, safetensors __metadata__): string keys and values.</summary>
public static class ExportMetadata
{
    public const string Dataset = "dataset", TestAccuracy = "test_accuracy", SemisupVersion = "semisup_version";

    /// <summary>This build's version, with the commit the SDK records (1.0.0+sha).</summary>
    public static string Version { get; } =
        typeof(ExportMetadata).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <param name="testAccuracy">Accuracy on the dataset's test set, in [0, 1], if measured.</param>
    /// <param name="trainedWith">What the model was trained with, as its caller names it, first in the file.</param>
    public static Dictionary<string, string> Create(string dataset, double? testAccuracy, IReadOnlyDictionary<string, string>? trainedWith = null)
    {
        var m = new Dictionary<string, string>(trainedWith ?? new Dictionary<string, string>()) { [Dataset] = dataset, [SemisupVersion] = Version };
        if (testAccuracy is { } a) m[TestAccuracy] = a.ToString("0.####", CultureInfo.InvariantCulture);
        return m;
    }
}
