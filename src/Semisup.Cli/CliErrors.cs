using Semisup.Data;
using Semisup.Runs;
using Semisup.Training;

namespace Semisup.Cli;

/// <summary>The library's errors as a user of the command line acts on them: a setting or a fix the library names by
/// its meaning is worded here with the option or the command that gives it.</summary>
public static class CliErrors
{
    public static string Word(Exception e) => e switch
    {
        SettingException s => $"{Flag(s.Setting)} {s.Value}: {s.Problem}",
        DataFilesException d => $"{d.Problem} {Fix(d)}",
        NativeFailureException n when n.SavedEpoch > 0 => $"libtorch failed in epoch {n.Epoch}: {n.Detail}. {new RunDirectory(n.RunDir).WhereToContinue(n.SavedEpoch)}",
        _ => e.Message,
    };

    public static string Flag(Setting setting) => setting switch
    {
        Setting.Labels => "--labels",
        Setting.Limit => "--limit",
        _ => "--set",
    };

    static string Fix(DataFilesException d) => d.Remedy switch
    {
        DataRemedy.Fetch => $"Run `semisup data fetch --dataset {d.Dataset.Name}` (with the same --data-dir, if any).",
        DataRemedy.DeleteAndFetch => $"Delete it and run `semisup data fetch --dataset {d.Dataset.Name}` (with the same --data-dir, if any).",
        DataRemedy.WritableDirectory => "Set SEMISUP_DATA or pass --data-dir to a writable directory.",
        _ => "Or put the four IDX files (raw or .gz) in a directory and pass --data-dir DIR.",
    };
}
