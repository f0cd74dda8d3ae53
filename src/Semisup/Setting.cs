namespace Semisup;

/// <summary>A setting given outside a recipe file, by what it means. The library names these in its errors, and each
/// front end words them its own way: the CLI as its options.</summary>
public enum Setting
{
    /// <summary>How many labeled images a split takes.</summary>
    Labels,

    /// <summary>How many images to read from an IDX file.</summary>
    Limit,

    /// <summary>A change to one recipe key, block.key=value.</summary>
    RecipeKey,
}

/// <summary>A value given for a <see cref="Setting"/> that cannot be used. The message names the setting plainly
/// ("labels 15: ..."); a front end words <see cref="Problem"/> with its own name for it.</summary>
public sealed class SettingException(Setting setting, string value, string problem)
    : SemisupException($"{Plain(setting)} {value}: {problem}")
{
    public Setting Setting => setting;
    public string Value => value;
    public string Problem => problem;

    static string Plain(Setting setting) => setting switch
    {
        Setting.Labels => "labels",
        Setting.Limit => "limit",
        _ => "set",
    };
}
